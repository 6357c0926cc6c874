import type { BackoffStrategy, DefaultJobOptions } from 'bullmq';

/**
 * Retries: exponential backoff with full jitter (so a thousand jobs failing together do not
 * return together), never sooner than a server's Retry-After. BullMQ calls the worker's
 * `backoffStrategy` for jobs whose backoff type is `RETRY_POLICY_TYPE`.
 */
export const RETRY_POLICY_TYPE = 'broker';
export const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 10 * 60_000;

/** An error that knows when the remote side wants us back (HTTP Retry-After). */
export interface RetryAfterHint {
  retryAfterMs?: number;
}

export function backoffDelayMs(attemptsMade: number, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(jittered, retryAfterMs);
}

export const brokerBackoffStrategy: BackoffStrategy = (attemptsMade, _type, error) =>
  error instanceof RetryLaterError
    ? error.delayMs
    : backoffDelayMs(attemptsMade, (error as (Error & RetryAfterHint) | undefined)?.retryAfterMs);

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: MAX_ATTEMPTS,
  backoff: { type: RETRY_POLICY_TYPE },
  // Completed jobs are not the record (PostgreSQL is); keep a little for Bull Board.
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * Thrown by a processor to have BullMQ run the job again after exactly `delayMs` (the use
 * case has already recorded that moment as the registration's `nextAttemptAt`).
 */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(`retry in ${delayMs} ms: ${reason}`);
    this.name = 'RetryLaterError';
  }
}

/**
 * Thrown by a processor whose job cannot start yet because another job is working on the same
 * registration (e.g. an app update arriving during a rotation). The job runner delays it
 * WITHOUT spending an attempt, so a long neighbour never exhausts its retries; a job still
 * waiting `MAX_BUSY_WAIT_MS` after it was added is retried like any other (a registration stuck
 * for that long needs an operator, and the job's attempts then run out and show it).
 */
export class WaitForRegistrationError extends RetryLaterError {
  constructor(delayMs: number, reason: string) {
    super(delayMs, reason);
    this.name = 'WaitForRegistrationError';
  }
}

/** How long a job may wait for its registration without spending attempts. */
export const MAX_BUSY_WAIT_MS = 15 * 60_000;

/**
 * Thrown by a processor that must not start its work while the secret store is failing (a site's
 * answer could not be stored). Like a busy site, the job runner delays it WITHOUT spending an
 * attempt, for as long as the outage lasts: an outage is not the registration's fault.
 */
export class WaitForSecretStoreError extends RetryLaterError {
  constructor(delayMs: number, reason: string) {
    super(delayMs, reason);
    this.name = 'WaitForSecretStoreError';
  }
}
