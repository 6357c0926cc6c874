import { Inject, Injectable } from '@nestjs/common';
import {
  failurePayload,
  REGISTRATION_LEDGER,
  type LedgerAuditEvent,
  type RegistrationLedger,
  shouldRetry,
  stateAfterFailure,
  type Registration,
  type RegistrationState,
  type SystemActor,
} from '#domain';
import { RegistrationRepository } from '#persistence';
import { backoffDelayMs, RetryLaterError, type JobAttempt } from '#queue';
import type { RegistrationProblem } from './registration-errors.js';
import { afterChange, RegistrationEvents } from './registration-events.js';

export const WORKER: SystemActor = { type: 'system', component: 'worker' };

/** An audit event of `actor` about one registration. */
export function registrationAuditEvent(
  actor: SystemActor,
  registration: Registration,
  action: string,
  outcome: 'success' | 'failure',
  details: Record<string, unknown>,
): LedgerAuditEvent {
  return {
    actor,
    tenantId: registration.tenantId,
    appId: registration.appId,
    healthSystemId: registration.healthSystemId,
    registrationId: registration.id,
    action,
    outcome,
    details,
  };
}

/** An audit event of the worker about one registration. */
export function workerEvent(
  registration: Registration,
  action: string,
  outcome: 'success' | 'failure',
  details: Record<string, unknown>,
): LedgerAuditEvent {
  return registrationAuditEvent(WORKER, registration, action, outcome, details);
}

/**
 * The first registration's attempt: `from` (`discovering`, or `queued` / `retrying` when the site
 * needed no reading) -> `registering` with the attempt counted and its row written, before the
 * POST; null when another run took the registration.
 */
export function startFirstRegistration(
  ledger: RegistrationLedger,
  registration: Registration,
  from: RegistrationState = 'discovering',
) {
  return ledger.write({
    kind: 'start_attempt',
    tenantId: registration.tenantId,
    registrationId: registration.id,
    action: 'register',
    from,
    to: 'registering',
    countAttempt: true,
  });
}

/**
 * The one failure path of a first registration, SMART or UDAP: `retrying` with the next attempt
 * time when the error is transient and attempts remain (and a `RetryLaterError` so the queue runs
 * the job again then), else `failed`, announced as `registration.failed`. The move, the audit
 * event and the webhook event commit together.
 */
@Injectable()
export class FirstRegistrationFailure {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly events: RegistrationEvents,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
  ) {}

  async record(
    registration: Registration,
    from: RegistrationState,
    problem: RegistrationProblem,
    attempt: JobAttempt,
    /** Audit details the protocol adds (e.g. `protocol: 'udap'`). */
    extra: Record<string, unknown> = {},
  ): Promise<'failed'> {
    const { retryAfterMs, ...lastError } = problem;
    const retry = shouldRetry(lastError, attempt);
    const delayMs = retry ? backoffDelayMs(attempt.number, retryAfterMs) : 0;
    const to = stateAfterFailure('register', retry);
    const columns = { lastError, nextAttemptAt: retry ? new Date(Date.now() + delayMs) : null };
    const details = {
      error: lastError.error,
      httpStatus: lastError.httpStatus,
      retryable: lastError.retryable,
      ...extra,
    };
    // A transient failure is audited but not announced: the site's administrators hear of the outcome.
    const events = retry
      ? { audit: [workerEvent(registration, 'registration.attempt_failed', 'failure', details)], outbox: [] }
      : this.events.rows(
          afterChange(await this.registrations.findWithContext(registration.tenantId, registration.id), to, columns),
          {
            actor: WORKER,
            type: 'registration.failed',
            outcome: 'failure',
            details,
            webhookData: failurePayload(lastError),
          },
        );
    await this.ledger.write({
      kind: 'record_outcome',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      from,
      to,
      reason: lastError.error,
      columns,
      ...events,
    });
    if (retry) throw new RetryLaterError(delayMs, lastError.error);
    // Settled: the onboarding may be complete now.
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
    return 'failed';
  }
}
