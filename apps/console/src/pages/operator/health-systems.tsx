import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { HealthSystem } from '../../api/types';
import { ErrorNotice, Loaded, PageTitle } from '../../components/ui';
import { href } from '../../router';
import { useResource } from '../../use-resource';
import { when } from '../../words';

/** The directory with what discovery found at each site, and why it failed where it did. */
export function HealthSystemsPage() {
  const sites = useResource(
    () => data(client.GET('/v1/admin/health-systems', { params: { query: { limit: 200 } } })),
    'sites',
  );
  return (
    <>
      <PageTitle>Health systems</PageTitle>
      <Loaded resource={sites}>
        {(page) => (
          <table>
            <caption class="visually-hidden">Health systems and their discovery status</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">FHIR base</th>
                <th scope="col">Discovery</th>
                <th scope="col">Registration</th>
                <th scope="col">Auth methods</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((site) => (
                <tr key={site.id}>
                  <td>
                    <a href={href(`/admin/health-systems/${site.id}`)}>{site.name}</a>
                    <div class="muted">{site.vendor ?? ''}</div>
                  </td>
                  <td>
                    <code>{site.fhirBaseUrl}</code>
                  </td>
                  <td>
                    <DiscoveryStatus site={site} />
                  </td>
                  <td>
                    {site.discovery?.registrationSupported ? 'RFC 7591' : site.discovery ? 'not offered' : '—'}
                    {site.initialAccessTokenConfigured && <div class="muted">initial access token set</div>}
                  </td>
                  <td>{site.discovery?.tokenEndpointAuthMethods?.join(', ') ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      <NewHealthSystem onCreated={sites.reload} />
    </>
  );
}

/** ok / failed (with the error and the site's words) / pending, and when discovery last succeeded. */
export function DiscoveryStatus({ site }: { site: Pick<HealthSystem, 'discovery'> }) {
  const discovery = site.discovery;
  if (!discovery) return <span>not discovered yet</span>;
  const status = discovery.status ?? (discovery.lastError ? 'failed' : discovery.discoveredAt ? 'ok' : 'pending');
  const lastError = status === 'failed' ? discovery.lastError : null;
  return (
    <div>
      <span class={`badge state-${status === 'ok' ? 'registered' : status === 'failed' ? 'failed' : 'queued'}`}>
        {status}
      </span>{' '}
      {discovery.discoveredAt ? when(discovery.discoveredAt) : ''}
      {lastError && (
        <div data-testid="discovery-error">
          <code>{lastError.error}</code> {lastError.description}
        </div>
      )}
      {discovery.warnings.length > 0 && (
        <details class="muted">
          <summary>
            {discovery.warnings.length} {discovery.warnings.length === 1 ? 'warning' : 'warnings'}
          </summary>
          <ul>
            {discovery.warnings.map((warning, index) => (
              <li key={index}>{warning}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function NewHealthSystem({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', fhirBaseUrl: '', vendor: '', initialAccessToken: '' });
  const [error, setError] = useState<Error>();
  const field = (name: keyof typeof form, label: string, type: 'text' | 'url' | 'password' = 'text') => (
    <>
      <label for={`hs-${name}`}>{label}</label>
      <input
        id={`hs-${name}`}
        // Preact's input typings narrow per type literal; the union is fine at run time.
        type={type as 'text'}
        autocomplete="off"
        value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
      />
    </>
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const optional = (value: string) => (value === '' ? null : value);
      const body = {
        name: form.name,
        fhirBaseUrl: form.fhirBaseUrl,
        vendor: optional(form.vendor),
        initialAccessToken: optional(form.initialAccessToken),
        siteConcurrency: null,
        // `automatic` lets discovery decide (RFC 7591 when the site has a registration endpoint).
        registrationMode: 'automatic' as const,
      };
      await data(client.POST('/v1/admin/health-systems', { body }));
      setForm({ name: '', fhirBaseUrl: '', vendor: '', initialAccessToken: '' });
      onCreated();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <section aria-labelledby="new-hs">
      <h2 id="new-hs">Add a health system</h2>
      <form onSubmit={submit}>
        {field('name', 'Name')}
        {field('fhirBaseUrl', 'FHIR base URL', 'url')}
        {field('vendor', 'Vendor (optional)')}
        {field('initialAccessToken', 'Initial access token (optional, write-only)', 'password')}
        <button type="submit" class="primary">
          Add
        </button>
        <ErrorNotice error={error} />
      </form>
    </section>
  );
}
