import type { Worker, WorkerOptions } from 'bullmq';

/**
 * Shared worker settings. A job whose worker dies is found "stalled" once its lock lapses
 * (`lockDuration`, renewed every half of it while the job runs) and runs again; the use
 * cases are idempotent, so at-least-once is safe. Two stalls in a row fail the job.
 */
export const WORKER_OPTIONS: Partial<WorkerOptions> = {
  lockDuration: 15_000,
  stalledInterval: 5_000,
  maxStalledCount: 2,
};

/** Fails start-up when a job name of the queue has no handler (a deploy that would strand jobs). */
export function assertEveryJobHasAHandler(queue: string, jobNames: readonly string[], handlers: object): void {
  const missing = jobNames.filter((name) => !(name in handlers));
  if (missing.length) throw new Error(`queue ${queue}: no handler for job(s) ${missing.join(', ')}`);
}

/**
 * A worker's own errors (a lock it could not renew, a connection lost mid-command) are logged, not
 * thrown: BullMQ emits them as 'error' events, and an emitter with no listener throws them out of a
 * timer, which ends the process. The job is safe either way: a lapsed lock makes it stalled, and it
 * runs again.
 */
export function logWorkerErrors(worker: Worker, warn: (context: object, message: string) => void): void {
  worker.on('error', (error) =>
    warn({ error: error.message }, 'queue worker error (a job whose lock lapsed is found stalled and runs again)'),
  );
}
