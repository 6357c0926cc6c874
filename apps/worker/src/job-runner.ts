import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { PinoLogger } from 'nestjs-pino';
import { DomainError } from '#domain';
import { jobDuration } from '#observability';
import {
  MAX_BUSY_WAIT_MS,
  RetryLaterError,
  WaitForRegistrationError,
  WaitForSecretStoreError,
  type JobAttempt,
  type SiteConcurrencyLimiter,
} from '#queue';
import type { SecretStoreHealth } from '#secrets';

/** How long a job waits before trying again for a slot of a busy site. */
const SITE_BUSY_DELAY_MS = 250;

export type JobHandler<Data> = (job: Job<Data>, attempt: JobAttempt) => Promise<unknown>;

/**
 * What every processor does around its use case: pick the handler for the job name (an
 * unknown name is a deployment bug: fail the job, never retry it), hold a slot of the
 * site's fleet-wide concurrency limit, log with the job's identifiers, record metrics.
 */
export async function runJob<Data extends { healthSystemId?: string }>(
  queue: string,
  job: Job<Data>,
  token: string | undefined,
  deps: {
    handlers: Record<string, JobHandler<Data>>;
    logger: PinoLogger;
    siteLimiter?: SiteConcurrencyLimiter;
    /** Jobs that must not start while the secret store fails (they would get credentials they cannot keep). */
    storeGuard?: { health: SecretStoreHealth; jobs: ReadonlySet<string> };
  },
): Promise<unknown> {
  const handler = deps.handlers[job.name];
  if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${queue}`);

  if (deps.storeGuard?.jobs.has(job.name)) {
    const store = await deps.storeGuard.health.status();
    if (!store.available) {
      // Like a busy site: wait without spending an attempt, as long as the outage lasts.
      deps.logger.debug({ jobId: job.id, reason: store.reason }, 'job waits for the secret store');
      await job.moveToDelayed(Date.now() + storeWaitDelayMs(store.retryInMs), token);
      throw new DelayedError();
    }
  }

  const lease =
    deps.siteLimiter && job.data.healthSystemId
      ? await deps.siteLimiter.tryAcquire(job.data.healthSystemId)
      : undefined;
  if (lease === null) {
    // Site busy: wait without spending an attempt.
    await job.moveToDelayed(Date.now() + SITE_BUSY_DELAY_MS + Math.round(Math.random() * SITE_BUSY_DELAY_MS), token);
    throw new DelayedError();
  }
  const attempts = job.opts.attempts ?? 1;
  const attempt = { number: job.attemptsMade + 1, final: job.attemptsMade + 1 >= attempts };
  const stopTimer = jobDuration.startTimer({ queue, job: job.name });
  return deps.logger.runInContext(
    async () => {
      try {
        const result = await handler(job, attempt);
        stopTimer({ outcome: 'completed' });
        deps.logger.info({ result }, 'job completed');
        return result;
      } catch (error) {
        if (error instanceof WaitForSecretStoreError) {
          // The use case recorded why (`waiting_for_secret_store`); an outage spends no attempt.
          stopTimer({ outcome: 'waiting' });
          deps.logger.info({ reason: error.message }, 'job waits for the secret store');
          await job.moveToDelayed(Date.now() + error.delayMs, token);
          throw new DelayedError();
        }
        if (error instanceof WaitForRegistrationError && Date.now() - job.timestamp < MAX_BUSY_WAIT_MS) {
          // Another job works on the registration: come back later without spending an attempt.
          stopTimer({ outcome: 'waiting' });
          // Debug: a job may wait this way every 2 s for minutes.
          deps.logger.debug({ reason: error.message }, 'job waits for its registration');
          await job.moveToDelayed(Date.now() + error.delayMs, token);
          throw new DelayedError();
        }
        if (error instanceof DomainError && !error.retryable) {
          // The error says trying again cannot help (its subject was deleted or belongs to a
          // database this Redis no longer matches, a secret cannot be decrypted...): fail now
          // instead of spending every attempt.
          stopTimer({ outcome: 'failed' });
          deps.logger.warn({ err: error }, 'job failed for good: retrying cannot help');
          throw new UnrecoverableError(error.message);
        }
        const retry = error instanceof RetryLaterError;
        stopTimer({ outcome: retry ? 'retry' : 'failed' });
        deps.logger.warn({ err: error }, retry ? 'job will run again' : 'job failed');
        throw error;
      } finally {
        await lease?.release();
      }
    },
    { bindings: { queue, job: job.name, jobId: job.id, attempt: attempt.number, ...job.data } },
  );
}

/** Comes back when the open circuit may probe again, spread a little so waiting jobs do not return together. */
export function storeWaitDelayMs(retryInMs: number): number {
  return Math.max(retryInMs, 1_000) + Math.round(Math.random() * 1_000);
}
