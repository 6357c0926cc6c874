import { Injectable } from '@nestjs/common';
import {
  failurePayload,
  shouldRetry,
  stateAfterFailure,
  type Registration,
  type RegistrationState,
  type SystemActor,
} from '#domain';
import { AuditRepository, PrismaService, RegistrationRepository } from '#persistence';
import { backoffDelayMs, RetryLaterError, type JobAttempt } from '#queue';
import type { RegistrationProblem } from './registration-errors.js';
import { RegistrationEvents } from './registration-events.js';

export const WORKER: SystemActor = { type: 'system', component: 'worker' };

/** An audit event of the worker about one registration. */
export function workerEvent(
  registration: Registration,
  action: string,
  outcome: 'success' | 'failure',
  details: Record<string, unknown>,
) {
  return {
    actor: WORKER,
    tenantId: registration.tenantId,
    appId: registration.appId,
    healthSystemId: registration.healthSystemId,
    registrationId: registration.id,
    action,
    outcome,
    details,
  };
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
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly audit: AuditRepository,
    private readonly events: RegistrationEvents,
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
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from,
          to: stateAfterFailure('register', retry),
          reason: lastError.error,
          set: { lastError, nextAttemptAt: retry ? new Date(Date.now() + delayMs) : null },
        },
        tx,
      );
      const details = {
        error: lastError.error,
        httpStatus: lastError.httpStatus,
        retryable: lastError.retryable,
        ...extra,
      };
      if (retry) {
        // A transient failure is audited but not announced: the site's administrators hear of the outcome.
        await this.audit.record(workerEvent(registration, 'registration.attempt_failed', 'failure', details), tx);
        return;
      }
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.failed',
        outcome: 'failure',
        details,
        webhookData: failurePayload(lastError),
      });
    });
    if (retry) throw new RetryLaterError(delayMs, lastError.error);
    // Settled: the onboarding may be complete now.
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
    return 'failed';
  }
}
