import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { App, DirectoryEntry } from '../../api/types';
import { ErrorNotice, Json, Loaded, PageTitle } from '../../components/ui';
import { href, navigate } from '../../router';
import { useResource } from '../../use-resource';
import { when } from '../../words';

export function AppPage({ appId }: { appId: string }) {
  const app = useResource(() => data(client.GET('/v1/apps/{appId}', { params: { path: { appId } } })), appId);
  const onboardings = useResource(
    () => data(client.GET('/v1/onboardings', { params: { query: { limit: 200 } } })),
    `onboardings-${appId}`,
  );
  return (
    <Loaded resource={app}>
      {(found) => (
        <>
          <PageTitle>{found.name}</PageTitle>
          <p>
            <a href={href(`/registrations?appId=${appId}`)}>Registrations of this app</a>
          </p>
          <Onboard app={found} />
          <section aria-labelledby="onboardings">
            <h2 id="onboardings">Onboardings</h2>
            <Loaded resource={onboardings}>
              {(page) => {
                const mine = page.items.filter((item) => item.appId === appId);
                return mine.length === 0 ? (
                  <p>Not onboarded anywhere yet.</p>
                ) : (
                  <ul>
                    {mine.map((item) => (
                      <li key={item.id}>
                        <a href={href(`/onboardings/${item.id}`)}>
                          {when(item.createdAt)}: {item.total} sites
                        </a>{' '}
                        {item.completedAt ? '(completed)' : '(in progress)'}
                      </li>
                    ))}
                  </ul>
                );
              }}
            </Loaded>
          </section>
          <section aria-labelledby="metadata">
            <h2 id="metadata">Client metadata</h2>
            <Json value={found.clientMetadata} />
          </section>
        </>
      )}
    </Loaded>
  );
}

/** Sites whose name or FHIR base contains the search text, and those already chosen. */
function matching(sites: DirectoryEntry[], search: string, chosen: Set<string>): DirectoryEntry[] {
  const text = search.trim().toLowerCase();
  if (!text) return sites;
  return sites.filter(
    (site) =>
      chosen.has(site.id) || site.name.toLowerCase().includes(text) || site.fhirBaseUrl.toLowerCase().includes(text),
  );
}

/** Picks sites from the directory and starts an onboarding (one Idempotency-Key per submission). */
function Onboard({ app }: { app: App }) {
  const directory = useResource(
    () => data(client.GET('/v1/health-systems', { params: { query: { limit: 200 } } })),
    'directory',
  );
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const toggle = (id: string) =>
    setChosen((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const onboarding = await data(
        client.POST('/v1/apps/{appId}/onboardings', {
          params: { path: { appId: app.id }, header: { 'Idempotency-Key': crypto.randomUUID() } },
          body: { healthSystemIds: [...chosen] },
        }),
      );
      navigate(`/onboardings/${onboarding.id}`);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="onboard">
      <h2 id="onboard">Onboard to health systems</h2>
      <Loaded resource={directory}>
        {(page) => (
          <form onSubmit={submit}>
            <label for="site-search">Find sites by name or URL</label>
            <input
              id="site-search"
              type="search"
              value={search}
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
            <fieldset>
              <legend>Sites from the directory</legend>
              {page.items.length === 0 && <p>The directory is empty: an operator adds health systems.</p>}
              {matching(page.items, search, chosen).map((site) => (
                <div class="check" key={site.id}>
                  <input
                    type="checkbox"
                    id={`site-${site.id}`}
                    checked={chosen.has(site.id)}
                    onChange={() => toggle(site.id)}
                  />
                  <label for={`site-${site.id}`}>
                    {site.name}{' '}
                    <span class="muted">
                      {site.vendor ?? ''} · {site.fhirBaseUrl}
                    </span>
                    {site.discovery && !site.discovery.registrationSupported && (
                      <span class="muted"> · no dynamic registration found</span>
                    )}
                  </label>
                </div>
              ))}
            </fieldset>
            <button type="submit" class="primary" disabled={busy || chosen.size === 0}>
              Onboard to {chosen.size} {chosen.size === 1 ? 'site' : 'sites'}
            </button>
            <ErrorNotice error={error} />
          </form>
        )}
      </Loaded>
    </section>
  );
}
