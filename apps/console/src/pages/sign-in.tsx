import { useState } from 'preact/hooks';
import { client, data, authenticate } from '../api/client';
import { ErrorNotice } from '../components/ui';
import { KIND_LABELS, guessKind, type PrincipalKind, type Session } from '../session';

/** One request that only this kind of principal may make: proves the token before the views open. */
const PROBES: Record<PrincipalKind, () => Promise<unknown>> = {
  tenant: () => data(client.GET('/v1/apps', { params: { query: { limit: 1 } } })),
  operator: () => data(client.GET('/v1/admin/tenants', { params: { query: { limit: 1 } } })),
  'health-system': () => data(client.GET('/v1/site', {})),
};

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [kind, setKind] = useState<PrincipalKind | 'auto'>('auto');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    const chosen = kind === 'auto' ? guessKind(value) : kind;
    setBusy(true);
    setError(undefined);
    authenticate(value);
    try {
      await PROBES[chosen]();
      onSignedIn({ kind: chosen, token: value });
    } catch (failure) {
      authenticate(null);
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>SMART Registration Broker</h1>
      <p>Sign in with an operator token, a tenant API key or a health-system administrator key.</p>
      <form onSubmit={submit}>
        <label for="token">Token or API key</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <label for="kind">Sign in as</label>
        <select
          id="kind"
          value={kind}
          onChange={(event) => setKind((event.target as HTMLSelectElement).value as PrincipalKind)}
        >
          <option value="auto">Detect from the key</option>
          {Object.entries(KIND_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <ErrorNotice error={error} />
      </form>
      <p class="hint">The key stays in this browser tab only (session storage) and is sent to this API alone.</p>
    </main>
  );
}
