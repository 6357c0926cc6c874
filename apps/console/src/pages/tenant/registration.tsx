import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { Credentials, Difference } from '../../api/types';
import { ActionButton, ErrorNotice, Json, Loaded, PageTitle, StateBadge } from '../../components/ui';
import { href } from '../../router';
import { useResource } from '../../use-resource';
import { STATE_WORDS, errorInWords, show, when } from '../../words';

const SETTLED = new Set(['registered', 'failed', 'orphan_suspected', 'deleted']);

export function RegistrationPage({ registrationId }: { registrationId: string }) {
  const path = { params: { path: { id: registrationId } } };
  // Polls while a job works on it (an action just started here, or one the sweeps run).
  const registration = useResource(() => data(client.GET('/v1/registrations/{id}', path)), registrationId, {
    pollMs: 1500,
    poll: (detail) => !SETTLED.has(detail.state),
  });
  const app = useResource(
    () =>
      registration.data
        ? data(client.GET('/v1/apps/{appId}', { params: { path: { appId: registration.data.appId } } }))
        : Promise.resolve(undefined),
    registration.data?.appId ?? '',
  );
  const act = (call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>) => async () => {
    await data(call());
    registration.reload();
  };
  return (
    <Loaded resource={registration}>
      {(detail) => (
        <>
          <PageTitle>
            {detail.healthSystem.name} <StateBadge state={detail.state} />
          </PageTitle>
          <p class="status-line">
            {STATE_WORDS[detail.state]} · client id <code>{detail.clientId ?? '—'}</code> · app{' '}
            <a href={href(`/apps/${detail.appId}`)}>{app.data?.name ?? detail.appId.slice(0, 8)}</a>
            {detail.nextAttemptAt && <> · next attempt {when(detail.nextAttemptAt)}</>}
          </p>
          {detail.lastError && (
            <section class="notice error" aria-labelledby="last-error">
              <h2 id="last-error">Why</h2>
              <p data-testid="last-error">{errorInWords(detail.lastError)}</p>
              {detail.lastError.error_description && (
                <p>
                  The site said: <q>{detail.lastError.error_description}</q>
                </p>
              )}
              <p class="muted">
                <code>{detail.lastError.error}</code> at {when(detail.lastError.at)}
              </p>
            </section>
          )}
          <div class="actions" role="group" aria-label="Actions">
            <ActionButton label="Verify now" action={act(() => client.POST('/v1/registrations/{id}/verify', path))} />
            <ActionButton
              label="Rotate secret"
              action={act(() => client.POST('/v1/registrations/{id}/rotate', path))}
            />
            <ActionButton
              label="Delete at the site"
              kind="danger"
              confirm={`Delete the client at ${detail.healthSystem.name}? The app can no longer use it there.`}
              action={act(() => client.DELETE('/v1/registrations/{id}', path))}
            />
          </div>
          <Reveal registrationId={registrationId} />
          <Differences
            title="Requested vs granted"
            items={detail.metadataDifferences as Difference[]}
            left="Requested"
            right="Granted"
            empty={detail.grantedMetadata ? undefined : 'Nothing granted: the site has not registered this client.'}
          />
          <Differences
            title="Drift at the site"
            items={detail.drift as Difference[]}
            left="Recorded"
            right="At the site now"
            empty={
              detail.lastVerifiedAt
                ? `No drift at the last verification (${when(detail.lastVerifiedAt)}).`
                : 'Not verified yet.'
            }
          />
          <section aria-labelledby="history">
            <h2 id="history">History</h2>
            <ol class="timeline">
              {detail.history.map((step, index) => (
                <li key={index}>
                  <time dateTime={step.at}>{when(step.at)}</time> <StateBadge state={step.toState} />
                  {step.reason && <span class="reason"> {step.reason}</span>}
                </li>
              ))}
            </ol>
          </section>
          <section aria-labelledby="attempts">
            <h2 id="attempts">Attempts</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Client id</th>
                  <th scope="col">Started</th>
                  <th scope="col">Finished</th>
                </tr>
              </thead>
              <tbody>
                {detail.attempts.map((attempt) => (
                  <tr key={attempt.id}>
                    <td>{attempt.action}</td>
                    <td>{attempt.outcome ?? 'open'}</td>
                    <td>{attempt.httpStatus ?? ''}</td>
                    <td>
                      <code>{attempt.clientId ?? ''}</code>
                    </td>
                    <td>{when(attempt.startedAt)}</td>
                    <td>{when(attempt.finishedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <details>
            <summary>Endpoints and metadata documents</summary>
            <h3>Endpoints</h3>
            <Json value={detail.endpoints} />
            <h3>Requested</h3>
            <Json value={detail.requestedMetadata} />
            <h3>Granted</h3>
            <Json value={detail.grantedMetadata} />
          </details>
        </>
      )}
    </Loaded>
  );
}

function Differences({
  title,
  items,
  left,
  right,
  empty = 'None: the site granted what was asked.',
}: {
  title: string;
  items: Difference[];
  left: string;
  right: string;
  empty?: string;
}) {
  const id = title.toLowerCase().replace(/\W+/g, '-');
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {items.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Change</th>
              <th scope="col">{left}</th>
              <th scope="col">{right}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.field}>
                <td>
                  <code>{item.field}</code>
                </td>
                <td>{item.kind}</td>
                <td>{show(item.requested ?? item.expected)}</td>
                <td>{show(item.granted ?? item.actual)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The client secret, only after the person confirms: the read is audited. */
function Reveal({ registrationId }: { registrationId: string }) {
  const [credentials, setCredentials] = useState<Credentials>();
  const [error, setError] = useState<Error>();
  const reveal = async () => {
    if (!window.confirm('Show the client credentials? This read is recorded in the audit log.')) return;
    try {
      setCredentials(
        await data(client.GET('/v1/registrations/{id}/credentials', { params: { path: { id: registrationId } } })),
      );
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <section aria-labelledby="credentials">
      <h2 id="credentials">Credentials</h2>
      {credentials ? (
        <dl>
          <dt>Client id</dt>
          <dd>
            <code>{credentials.clientId}</code>
          </dd>
          <dt>Client secret</dt>
          <dd>
            <code>{credentials.clientSecret ?? '(none: the client authenticates with keys)'}</code>
          </dd>
          <dt>Secret expires</dt>
          <dd>{when(credentials.clientSecretExpiresAt)}</dd>
          <dt>Token endpoint</dt>
          <dd>
            <code>{credentials.tokenEndpoint ?? '—'}</code>
          </dd>
          <button type="button" class="secondary" onClick={() => setCredentials(undefined)}>
            Hide
          </button>
        </dl>
      ) : (
        <button type="button" class="secondary" onClick={reveal}>
          Reveal credentials…
        </button>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}
