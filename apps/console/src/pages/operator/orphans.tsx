import { client, data } from '../../api/client';
import { ActionButton, Loaded, PageTitle } from '../../components/ui';
import { useResource } from '../../use-resource';
import { when } from '../../words';

const RESOLUTIONS = [
  ['deleted_at_site', 'Deleted at the site'],
  ['not_found_at_site', 'Not found at the site'],
  ['kept', 'Kept'],
] as const;

/** Clients that may exist at a site without a registration naming them, until the operator closes them. */
export function OrphansPage() {
  const orphans = useResource(
    () => data(client.GET('/v1/admin/possible-orphans', { params: { query: { resolved: 'false', limit: 200 } } })),
    'orphans',
  );
  return (
    <>
      <PageTitle>Possible orphans</PageTitle>
      <p>
        Attempts whose outcome is unknown: a client may exist at the site that no registration names. Check with the
        site (its webhooks were told), then close each one.
      </p>
      <Loaded resource={orphans}>
        {(page) =>
          page.items.length === 0 ? (
            <p>None open.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Found</th>
                  <th scope="col">Site</th>
                  <th scope="col">Client</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Resolve</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((orphan) => (
                  <tr key={orphan.id}>
                    <td>{when(orphan.createdAt)}</td>
                    <td>
                      <code>{orphan.healthSystemId.slice(0, 8)}</code>
                    </td>
                    <td>
                      {orphan.clientName ?? ''} <code>{orphan.clientId ?? 'unknown id'}</code>
                    </td>
                    <td>{orphan.reason ?? ''}</td>
                    <td>
                      {RESOLUTIONS.map(([resolution, label]) => (
                        <ActionButton
                          key={resolution}
                          label={label}
                          action={async () => {
                            await data(
                              client.POST('/v1/admin/possible-orphans/{id}/resolve', {
                                params: { path: { id: orphan.id } },
                                body: { resolution },
                              }),
                            );
                            orphans.reload();
                          }}
                        />
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </>
  );
}
