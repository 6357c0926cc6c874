import { useState } from 'preact/hooks';
import { client, data } from '../api/client';
import type { Page, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret } from '../api/types';
import { useResource } from '../use-resource';
import { when } from '../words';
import { ActionButton, ErrorNotice, Loaded, Pager } from './ui';

/**
 * The webhook routes of one health system: the operator's (`/v1/admin/health-systems/{id}/webhooks`)
 * or a health-system administrator's own. Both have the same shape below their base.
 */
export interface WebhookRoutes {
  list(): Promise<Page<WebhookEndpoint>>;
  /** A new endpoint for every event type; its signing secret is in this answer only. */
  create(url: string): Promise<WebhookEndpointWithSecret>;
  deliveries(endpointId: string, cursor?: string): Promise<Page<WebhookDelivery>>;
  replay(endpointId: string, eventId: string): Promise<unknown>;
  ping(endpointId: string): Promise<unknown>;
}

/** The body of a new endpoint: enabled, no description, every event type (the API's default). */
export const newEndpoint = (url: string) => ({ url, description: null, enabled: true });

export function operatorWebhookRoutes(healthSystemId: string): WebhookRoutes {
  const base = { path: { id: healthSystemId } };
  return {
    list: () =>
      data(client.GET('/v1/admin/health-systems/{id}/webhooks', { params: { ...base, query: { limit: 200 } } })),
    create: (url) =>
      data(client.POST('/v1/admin/health-systems/{id}/webhooks', { params: base, body: newEndpoint(url) })),
    deliveries: (endpointId, cursor) =>
      data(
        client.GET('/v1/admin/health-systems/{id}/webhooks/{endpointId}/deliveries', {
          params: { path: { id: healthSystemId, endpointId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    replay: (endpointId, eventId) =>
      data(
        client.POST('/v1/admin/health-systems/{id}/webhooks/{endpointId}/events/{eventId}/replay', {
          params: { path: { id: healthSystemId, endpointId, eventId } },
        }),
      ),
    ping: (endpointId) =>
      data(
        client.POST('/v1/admin/health-systems/{id}/webhooks/{endpointId}/ping', {
          params: { path: { id: healthSystemId, endpointId } },
        }),
      ),
  };
}

export function WebhooksPanel({ routes, scope }: { routes: WebhookRoutes; scope: string }) {
  const endpoints = useResource(() => routes.list(), `endpoints-${scope}`);
  const [created, setCreated] = useState<WebhookEndpointWithSecret>();
  return (
    <>
      <Loaded resource={endpoints}>
        {(page) =>
          page.items.length === 0 ? (
            <p>No webhook endpoints yet.</p>
          ) : (
            <>
              {page.items.map((endpoint) => (
                <Endpoint key={endpoint.id} endpoint={endpoint} routes={routes} />
              ))}
            </>
          )
        }
      </Loaded>
      {created?.signingSecret && (
        <div class="notice" role="status">
          Endpoint created. Its signing secret is shown once: <pre class="secret">{created.signingSecret}</pre>
        </div>
      )}
      <NewEndpoint
        routes={routes}
        onCreated={(endpoint) => {
          setCreated(endpoint);
          endpoints.reload();
        }}
      />
    </>
  );
}

function Endpoint({ endpoint, routes }: { endpoint: WebhookEndpoint; routes: WebhookRoutes }) {
  const [cursor, setCursor] = useState<string>();
  const deliveries = useResource(() => routes.deliveries(endpoint.id, cursor), `${endpoint.id}-${cursor ?? ''}`, {
    pollMs: 3000,
  });
  const headingId = `endpoint-${endpoint.id}`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        <code>{endpoint.url}</code>
      </h2>
      <p>
        {endpoint.enabled ? 'enabled' : `disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`} ·
        events: {endpoint.eventTypes.length ? endpoint.eventTypes.join(', ') : 'all'} · last delivered{' '}
        {when(endpoint.lastDeliveredAt)}
      </p>
      <ActionButton
        label="Send a ping"
        action={async () => {
          await routes.ping(endpoint.id);
          deliveries.reload();
        }}
      />
      <h3>Deliveries</h3>
      <Loaded resource={deliveries}>
        {(page) =>
          page.items.length === 0 ? (
            <p>No deliveries yet.</p>
          ) : (
            <>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Attempt</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">HTTP</th>
                    <th scope="col">At</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((delivery) => (
                    <tr key={delivery.id} data-event-id={delivery.eventId}>
                      <td>
                        {delivery.eventType}
                        {delivery.replay && <span class="badge">replay</span>}
                      </td>
                      <td>{delivery.attempt}</td>
                      <td>
                        <span class={`badge outcome-${delivery.outcome}`}>{delivery.outcome}</span>
                        {delivery.error && <div class="muted">{delivery.error}</div>}
                        {delivery.nextAttemptAt && <div class="muted">next try {when(delivery.nextAttemptAt)}</div>}
                      </td>
                      <td>{delivery.httpStatus ?? ''}</td>
                      <td>{when(delivery.at)}</td>
                      <td>
                        <ActionButton
                          label={`Replay ${delivery.eventType}`}
                          action={async () => {
                            await routes.replay(endpoint.id, delivery.eventId);
                            deliveries.reload();
                          }}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager nextCursor={page.nextCursor} onNext={setCursor} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function NewEndpoint({
  routes,
  onCreated,
}: {
  routes: WebhookRoutes;
  onCreated: (endpoint: WebhookEndpointWithSecret) => void;
}) {
  const [url, setUrl] = useState('');
  const [error, setError] = useState<Error>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      onCreated(await routes.create(url));
      setUrl('');
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-endpoint">
      <h2 id="new-endpoint">Add an endpoint</h2>
      <label for="endpoint-url">Receiver URL</label>
      <input
        id="endpoint-url"
        type="url"
        required
        value={url}
        onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="primary">
        Add endpoint
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}
