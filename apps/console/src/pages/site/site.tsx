import { client, data } from '../../api/client';
import { SiteRegistrationTable } from '../../components/registration-table';
import { Loaded, PageTitle } from '../../components/ui';
import { WebhooksPanel, newEndpoint, type WebhookRoutes } from '../../components/webhooks';
import { useResource } from '../../use-resource';

/** What is registered at the administrator's own site (tenant, app, client id, state, since). */
export function SiteRegistrationsPage() {
  const site = useResource(() => data(client.GET('/v1/site', {})), 'site');
  const registrations = useResource(
    () => data(client.GET('/v1/site/registrations', { params: { query: { limit: 200 } } })),
    'site-registrations',
    { pollMs: 5000 },
  );
  return (
    <>
      <PageTitle>Registered at {site.data?.name ?? 'your site'}</PageTitle>
      {site.data && (
        <p class="muted">
          <code>{site.data.fhirBaseUrl}</code>
        </p>
      )}
      <Loaded resource={registrations}>{(page) => <SiteRegistrationTable items={page.items} />}</Loaded>
    </>
  );
}

const siteWebhookRoutes: WebhookRoutes = {
  list: () => data(client.GET('/v1/site/webhooks', { params: { query: { limit: 200 } } })),
  create: (url) => data(client.POST('/v1/site/webhooks', { body: newEndpoint(url) })),
  deliveries: (endpointId, cursor) =>
    data(
      client.GET('/v1/site/webhooks/{endpointId}/deliveries', {
        params: { path: { endpointId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  replay: (endpointId, eventId) =>
    data(
      client.POST('/v1/site/webhooks/{endpointId}/events/{eventId}/replay', {
        params: { path: { endpointId, eventId } },
      }),
    ),
  ping: (endpointId) => data(client.POST('/v1/site/webhooks/{endpointId}/ping', { params: { path: { endpointId } } })),
};

export function SiteWebhooksPage() {
  return (
    <>
      <PageTitle>Your webhooks</PageTitle>
      <WebhooksPanel routes={siteWebhookRoutes} scope="own" />
    </>
  );
}
