import type { TenantId } from '#domain';

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
  /** Scheduled: re-enqueues registrations whose job was lost (Redis data loss, a crash between commit and enqueue). */
  Reconcile = 'reconcile',
  /** Discovery of one health system when the operator adds or moves it, so registrations find it cached. */
  Discover = 'discover',
}

/** RFC 7592 lifecycle jobs (one registration each) and the scheduled sweeps that enqueue them. */
export enum LifecycleJob {
  Verify = 'verify',
  Update = 'update',
  Rotate = 'rotate',
  Delete = 'delete',
  /** Scheduled (often): enqueues `verify` for registrations not verified for a period, up to the cap. */
  VerifySweep = 'verify-sweep',
  /** Scheduled (often): enqueues `rotate` for secrets due by the rotation rule, up to the cap. */
  RotationSweep = 'rotation-sweep',
  /** Scheduled: fetches every health system's discovery again; a changed endpoint triggers `verify`. */
  DiscoveryRefresh = 'discovery-refresh',
  /** Scheduled: deletes history, attempts, audit, webhook events and deliveries past their retention. */
  Retention = 'retention',
}

export const JOBS_BY_QUEUE = {
  [QueueName.Lifecycle]: Object.values(LifecycleJob),
  [QueueName.Registration]: Object.values(RegistrationJob),
} as const;

/** Every registration job names its tenant: logs, metrics and queries are scoped by it. */
export interface RegistrationJobData {
  tenantId: TenantId;
  registrationId: string;
  /** Lets the worker take a slot of the site's concurrency limit before loading anything. */
  healthSystemId: string;
}

/** Health systems belong to no tenant: the operator's directory. */
export interface DiscoverJobData {
  healthSystemId: string;
}

/** The reconciler's job carries no tenant: it looks at every tenant's stuck registrations. */
export type ReconcileJobData = Record<string, never>;

/** The id that makes "one job per registration and action" hold while a job is pending. */
export function deduplicationId(job: string, registrationId: string): string {
  return `${job}:${registrationId}`;
}

/** A lifecycle action on one registration; `reason` says who asked (API, sweep, app change...). */
export interface LifecycleJobData {
  tenantId: TenantId;
  registrationId: string;
  healthSystemId: string;
  reason: string;
}

/** Sweeps span every tenant and carry nothing. */
export type LifecycleSweepData = Record<string, never>;
