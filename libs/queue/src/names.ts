/**
 * Queue and job names are stored in Redis with every job: they are a contract between
 * deployed versions. Renaming one needs a migration plan (drain the old name first).
 */
export enum QueueName {
  /** RFC 7591 registration of one app at one health system. */
  Registration = 'registration',
  /** RFC 7592 lifecycle: verify, update, rotate, delete; plus the schedulers' sweeps. */
  Lifecycle = 'lifecycle',
  /** Admin webhook deliveries, one job per (event, endpoint). */
  Webhooks = 'webhooks',
}

export enum RegistrationJob {
  Register = 'register',
}

export const JOBS_BY_QUEUE = {
  [QueueName.Registration]: Object.values(RegistrationJob),
} as const;

/** Every registration job names its tenant: logs, metrics and queries are scoped by it. */
export interface RegistrationJobData {
  tenantId: string;
  registrationId: string;
  /** Lets the worker take a slot of the site's concurrency limit before loading anything. */
  healthSystemId: string;
}

/** The id that makes "one job per registration and action" hold while a job is pending. */
export function deduplicationId(job: string, registrationId: string): string {
  return `${job}:${registrationId}`;
}
