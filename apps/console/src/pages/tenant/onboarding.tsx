import { client, data } from '../../api/client';
import { RegistrationTable, appNames } from '../../components/registration-table';
import { Loaded, PageTitle, ProgressBar } from '../../components/ui';
import { href } from '../../router';
import { useResource } from '../../use-resource';
import { when } from '../../words';

/** How often progress is asked for while an onboarding runs (one indexed GROUP BY per poll). */
const POLL_MS = 1000;

export function OnboardingPage({ onboardingId }: { onboardingId: string }) {
  const progress = useResource(
    () => data(client.GET('/v1/onboardings/{id}', { params: { path: { id: onboardingId } } })),
    onboardingId,
    { pollMs: POLL_MS, poll: (onboarding) => !onboarding.completed },
  );
  const running = !progress.data?.completed;
  const registrations = useResource(
    () => data(client.GET('/v1/registrations', { params: { query: { onboardingId, limit: 200 } } })),
    `${onboardingId}-${running}`,
    { pollMs: POLL_MS, poll: () => running },
  );
  const apps = useResource(() => data(client.GET('/v1/apps', { params: { query: { limit: 200 } } })), 'apps');
  return (
    <>
      <PageTitle>Onboarding progress</PageTitle>
      <Loaded resource={progress}>
        {(onboarding) => (
          <>
            <p aria-live="polite" class="status-line">
              {onboarding.completed ? (
                <strong data-testid="onboarding-status">Completed</strong>
              ) : (
                <strong data-testid="onboarding-status">In progress</strong>
              )}{' '}
              · {onboarding.total} sites · started {when(onboarding.createdAt)}
              {onboarding.completedAt && <> · completed {when(onboarding.completedAt)}</>}
            </p>
            <ProgressBar counts={onboarding.counts ?? {}} total={onboarding.total} />
            <p>
              <a href={href(`/apps/${onboarding.appId}`)}>Back to the app</a> ·{' '}
              <a href={href(`/registrations?onboardingId=${onboarding.id}`)}>Filter these registrations</a>
            </p>
          </>
        )}
      </Loaded>
      <h2>Registrations</h2>
      <Loaded resource={registrations}>
        {(page) => <RegistrationTable items={page.items} appNames={appNames(apps.data?.items)} />}
      </Loaded>
    </>
  );
}
