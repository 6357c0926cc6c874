import { client, data } from '../../api/client';
import { REGISTRATION_STATES } from '../../api/types';
import { RegistrationTable, appNames } from '../../components/registration-table';
import { Loaded, PageTitle, Pager } from '../../components/ui';
import { navigate, type Route } from '../../router';
import { useResource } from '../../use-resource';

const FILTERS = ['state', 'healthSystemId', 'appId', 'onboardingId', 'cursor'] as const;

/** Registrations filtered by state, site and app; the filter lives in the URL (shareable, back button). */
export function RegistrationsPage({ route }: { route: Route }) {
  const filter = Object.fromEntries(FILTERS.map((name) => [name, route.query.get(name) ?? undefined]));
  const registrations = useResource(
    () => data(client.GET('/v1/registrations', { params: { query: { ...filter, limit: 50 } } })),
    route.query.toString(),
  );
  const apps = useResource(() => data(client.GET('/v1/apps', { params: { query: { limit: 200 } } })), 'apps');
  const sites = useResource(
    () => data(client.GET('/v1/health-systems', { params: { query: { limit: 200 } } })),
    'directory',
  );
  const set = (name: string, value: string) =>
    navigate('/registrations', { ...filter, cursor: undefined, [name]: value || undefined });
  return (
    <>
      <PageTitle>Registrations</PageTitle>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label for="filter-state">State</label>
          <select
            id="filter-state"
            value={filter.state ?? ''}
            onChange={(e) => set('state', (e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {REGISTRATION_STATES.map((state) => (
              <option key={state} value={state}>
                {state.replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-site">Site</label>
          <select
            id="filter-site"
            value={filter.healthSystemId ?? ''}
            onChange={(e) => set('healthSystemId', (e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {sites.data?.items.map((site) => (
              <option key={site.id} value={site.id}>
                {site.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-app">App</label>
          <select
            id="filter-app"
            value={filter.appId ?? ''}
            onChange={(e) => set('appId', (e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {apps.data?.items.map((app) => (
              <option key={app.id} value={app.id}>
                {app.name}
              </option>
            ))}
          </select>
        </div>
        {filter.onboardingId && (
          <p>
            One onboarding only.{' '}
            <button type="button" class="link" onClick={() => set('onboardingId', '')}>
              Show all
            </button>
          </p>
        )}
      </form>
      <Loaded resource={registrations}>
        {(page) => (
          <>
            <RegistrationTable items={page.items} appNames={appNames(apps.data?.items)} />
            <Pager
              nextCursor={page.nextCursor}
              onNext={(cursor) => navigate('/registrations', { ...filter, cursor })}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
