import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { ApiKeyScope, Schemas } from '../../api/types';
import { ActionButton, ErrorNotice, Loaded, PageTitle } from '../../components/ui';
import { href } from '../../router';
import { useResource } from '../../use-resource';
import { IssuedToken, KeyTable } from '../../components/keys';
import { when } from '../../words';

const SCOPES: ApiKeyScope[] = [
  'apps:read',
  'apps:write',
  'onboardings:write',
  'registrations:read',
  'registrations:write',
  'credentials:read',
  'audit:read',
];

export function TenantsPage() {
  const tenants = useResource(
    () => data(client.GET('/v1/admin/tenants', { params: { query: { limit: 200 } } })),
    'tenants',
  );
  const [name, setName] = useState('');
  const [error, setError] = useState<Error>();
  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      await data(client.POST('/v1/admin/tenants', { body: { name } }));
      setName('');
      tenants.reload();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <>
      <PageTitle>Tenants</PageTitle>
      <Loaded resource={tenants}>
        {(page) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((tenant) => (
                <tr key={tenant.id}>
                  <td>
                    <a href={href(`/admin/tenants/${tenant.id}`)}>{tenant.name}</a>
                  </td>
                  <td>{tenant.status}</td>
                  <td>{when(tenant.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      <form onSubmit={create} aria-labelledby="new-tenant">
        <h2 id="new-tenant">New tenant</h2>
        <label for="tenant-name">Name</label>
        <input id="tenant-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary">
          Create tenant
        </button>
        <ErrorNotice error={error} />
      </form>
    </>
  );
}

/** A tenant's API keys: issue (the token is shown once), revoke. */
export function TenantPage({ tenantId }: { tenantId: string }) {
  const path = { params: { path: { tenantId } } };
  const tenant = useResource(() => data(client.GET('/v1/admin/tenants/{tenantId}', path)), tenantId);
  const keys = useResource(
    () =>
      data(
        client.GET('/v1/admin/tenants/{tenantId}/api-keys', { params: { path: { tenantId }, query: { limit: 200 } } }),
      ),
    `keys-${tenantId}`,
  );
  const [issued, setIssued] = useState<Schemas['IssuedApiKey']>();
  const [keyName, setKeyName] = useState('console');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(SCOPES);
  const [error, setError] = useState<Error>();
  const issue = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      setIssued(
        await data(client.POST('/v1/admin/tenants/{tenantId}/api-keys', { ...path, body: { name: keyName, scopes } })),
      );
      keys.reload();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <Loaded resource={tenant}>
      {(found) => (
        <>
          <PageTitle>{found.name}</PageTitle>
          <p>
            {found.status} · created {when(found.createdAt)}
          </p>
          {found.status === 'active' && (
            <ActionButton
              label="Disable tenant (offboards everything)"
              kind="danger"
              confirm={`Disable ${found.name}? Every registration of its apps is deleted at the sites.`}
              action={async () => {
                await data(client.POST('/v1/admin/tenants/{tenantId}/disable', path));
                tenant.reload();
              }}
            />
          )}
          <h2>API keys</h2>
          <Loaded resource={keys}>
            {(page) => (
              <KeyTable
                keys={page.items}
                consequence="Apps using it stop working at once."
                revoke={async (keyId) => {
                  await data(
                    client.DELETE('/v1/admin/tenants/{tenantId}/api-keys/{keyId}', {
                      params: { path: { tenantId, keyId } },
                    }),
                  );
                  keys.reload();
                }}
              />
            )}
          </Loaded>
          <IssuedToken issued={issued} />
          <form onSubmit={issue} aria-labelledby="issue-key">
            <h3 id="issue-key">Issue a key</h3>
            <label for="key-name">Name</label>
            <input
              id="key-name"
              required
              value={keyName}
              onInput={(e) => setKeyName((e.target as HTMLInputElement).value)}
            />
            <fieldset>
              <legend>Scopes</legend>
              {SCOPES.map((scope) => (
                <div class="check" key={scope}>
                  <input
                    type="checkbox"
                    id={`scope-${scope}`}
                    checked={scopes.includes(scope)}
                    onChange={() =>
                      setScopes(scopes.includes(scope) ? scopes.filter((s) => s !== scope) : [...scopes, scope])
                    }
                  />
                  <label for={`scope-${scope}`}>{scope}</label>
                </div>
              ))}
            </fieldset>
            <button type="submit" class="primary">
              Issue key
            </button>
            <ErrorNotice error={error} />
          </form>
        </>
      )}
    </Loaded>
  );
}
