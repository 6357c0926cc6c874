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
        <FilterSelect
          id="filter-state"
          label="State"
          value={filter.state}
          options={REGISTRATION_STATES.map((state) => ({ value: state, label: state.replace('_', ' ') }))}
          onChange={(value) => set('state', value)}
        />
        <FilterSelect
          id="filter-site"
          label="Site"
          value={filter.healthSystemId}
          options={(sites.data?.items ?? []).map((site) => ({ value: site.id, label: site.name }))}
          onChange={(value) => set('healthSystemId', value)}
        />
        <FilterSelect
          id="filter-app"
          label="App"
          value={filter.appId}
          options={(apps.data?.items ?? []).map((app) => ({ value: app.id, label: app.name }))}
          onChange={(value) => set('appId', value)}
        />
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

/** One filter of the list: a labelled select whose first option, "any", clears it. */
function FilterSelect(props: {
  id: string;
  label: string;
  value: string | undefined;
  options: Array<{ value: string; label: string }>;
  onChange: (value: string) => void;
}) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value ?? ''}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">any</option>
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
