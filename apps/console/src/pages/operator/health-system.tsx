import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { Schemas } from '../../api/types';
import { ErrorNotice, Json, Loaded, PageTitle } from '../../components/ui';
import { WebhooksPanel, operatorWebhookRoutes } from '../../components/webhooks';
import { href } from '../../router';
import { useResource } from '../../use-resource';
import { IssuedToken, KeyTable } from '../../components/keys';
import { DiscoveryStatus } from './health-systems';

/** One health system for the operator: discovery, its administrators' keys, its webhooks. */
export function HealthSystemPage({ healthSystemId }: { healthSystemId: string }) {
  const path = { params: { path: { id: healthSystemId } } };
  const site = useResource(() => data(client.GET('/v1/admin/health-systems/{id}', path)), healthSystemId);
  return (
    <>
      <p>
        <a href={href('/admin/health-systems')}>All health systems</a>
      </p>
      <Loaded resource={site}>
        {(found) => (
          <>
            <PageTitle>{found.name}</PageTitle>
            <p>
              <code>{found.fhirBaseUrl}</code> · {found.vendor ?? 'vendor not set'}
            </p>
            <h2>Discovery</h2>
            <DiscoveryStatus site={found} />
            {found.discovery && (
              <details>
                <summary>What discovery found</summary>
                <Json value={found.discovery} />
              </details>
            )}
          </>
        )}
      </Loaded>
      <AdministratorKeys healthSystemId={healthSystemId} />
      <h2>Webhooks</h2>
      <WebhooksPanel routes={operatorWebhookRoutes(healthSystemId)} scope={healthSystemId} />
    </>
  );
}

function AdministratorKeys({ healthSystemId }: { healthSystemId: string }) {
  const path = { params: { path: { id: healthSystemId } } };
  const keys = useResource(
    () =>
      data(client.GET('/v1/admin/health-systems/{id}/api-keys', { params: { ...path.params, query: { limit: 200 } } })),
    `site-keys-${healthSystemId}`,
  );
  const [name, setName] = useState('site administrators');
  const [issued, setIssued] = useState<Schemas['IssuedHealthSystemKey']>();
  const [error, setError] = useState<Error>();
  const issue = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      setIssued(await data(client.POST('/v1/admin/health-systems/{id}/api-keys', { ...path, body: { name } })));
      keys.reload();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <section aria-labelledby="site-keys">
      <h2 id="site-keys">Administrator keys</h2>
      <p class="muted">
        The site’s administrators sign in with such a key: they see what is registered at their site and manage their
        own webhooks.
      </p>
      <Loaded resource={keys}>
        {(page) => (
          <KeyTable
            keys={page.items}
            consequence="The site's administrators lose access at once."
            revoke={async (keyId) => {
              await data(
                client.DELETE('/v1/admin/health-systems/{id}/api-keys/{keyId}', {
                  params: { path: { id: healthSystemId, keyId } },
                }),
              );
              keys.reload();
            }}
          />
        )}
      </Loaded>
      <IssuedToken issued={issued} />
      <form onSubmit={issue}>
        <label for="site-key-name">Key name</label>
        <input
          id="site-key-name"
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          Issue administrator key
        </button>
        <ErrorNotice error={error} />
      </form>
    </section>
  );
}
