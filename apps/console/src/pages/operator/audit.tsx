import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import { Loaded, PageTitle, Pager } from '../../components/ui';
import { useResource } from '../../use-resource';
import { when } from '../../words';

/** The audit trail: the operator's view of every tenant, or a tenant's own (`audit:read`). */
export function AuditPage({ operator }: { operator: boolean }) {
  const [cursor, setCursor] = useState<string>();
  const events = useResource(
    () =>
      data(
        client.GET(operator ? '/v1/admin/audit-events' : '/v1/audit-events', {
          params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    `${operator}-${cursor ?? ''}`,
  );
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Loaded resource={events}>
        {(page) => (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">At</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((event) => (
                  <tr key={event.id}>
                    <td>{when(event.at)}</td>
                    <td>
                      <code>{event.action}</code>
                    </td>
                    <td>{String(event.outcome ?? '')}</td>
                    <td>
                      {String(event.actorType ?? '')}{' '}
                      {event.actorId ? <code>{String(event.actorId).slice(0, 8)}</code> : null}
                    </td>
                    <td class="muted">
                      {(['tenantId', 'appId', 'healthSystemId', 'registrationId'] as const)
                        .filter((key) => event[key])
                        .map((key) => `${key.replace('Id', '')} ${String(event[key]).slice(0, 8)}`)
                        .join(' · ')}
                    </td>
                    <td>
                      <code class="small">{event.details ? JSON.stringify(event.details) : ''}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager nextCursor={page.nextCursor} onNext={setCursor} />
          </>
        )}
      </Loaded>
    </>
  );
}
