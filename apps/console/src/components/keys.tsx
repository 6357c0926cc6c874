import { ActionButton } from './ui';
import { when } from '../words';

interface KeyRow {
  id: string;
  name: string;
  scopes?: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** API keys (a tenant's or a health system's administrators'): names, use, revocation; never a token. */
export function KeyTable({
  keys,
  revoke,
  consequence,
}: {
  keys: KeyRow[];
  revoke: (keyId: string) => Promise<unknown>;
  /** What revoking means, for the confirmation. */
  consequence: string;
}) {
  if (keys.length === 0) return <p>No keys yet.</p>;
  const withScopes = keys.some((key) => key.scopes);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          {withScopes && <th scope="col">Scopes</th>}
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Revoked</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key.id}>
            <td>{key.name}</td>
            {withScopes && <td>{key.scopes?.join(' ')}</td>}
            <td>{when(key.createdAt)}</td>
            <td>{when(key.lastUsedAt)}</td>
            <td>{when(key.revokedAt)}</td>
            <td>
              {!key.revokedAt && (
                <ActionButton
                  label={`Revoke ${key.name}`}
                  kind="danger"
                  confirm={`Revoke the key ${key.name}? ${consequence}`}
                  action={() => revoke(key.id)}
                />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A token just issued: shown in this answer only, so the person copies it now. */
export function IssuedToken({ issued }: { issued: { name: string; token: string } | undefined }) {
  if (!issued) return null;
  return (
    <div class="notice" role="status">
      New key <strong>{issued.name}</strong>: copy it now, it is not shown again.
      <pre class="secret">{issued.token}</pre>
    </div>
  );
}
