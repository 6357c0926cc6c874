import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ACTION_STATE,
  decideStart,
  failurePayload,
  isAnnounced,
  REGISTRATION_LEDGER,
  type RegistrationLedger,
  shouldRetry,
  stateAfterFailure,
  type LifecycleAction,
  type Registration,
  type RegistrationState,
  type StepEvent,
  type SystemActor,
  type RegistrationColumns,
} from '#domain';
import {
  AuditRepository,
  PrismaService,
  RegistrationAttemptRepository,
  RegistrationRepository,
  type RegistrationAttempt,
  type RegistrationContext,
} from '#persistence';
import { backoffDelayMs, RetryLaterError, WaitForRegistrationError } from '#queue';
import type { RegistrationProblem } from '../engine/registration-errors.js';
import type { JobAttempt } from '#queue';
import { registrationAuditEvent } from '../engine/first-registration-failure.js';
import { afterChange, RegistrationEvents, type RegistrationEventType } from '../engine/registration-events.js';

export type { LifecycleAction } from '#domain';

const BUSY_RETRY_MS = 2_000;

export const LIFECYCLE_ACTOR: SystemActor = { type: 'system', component: 'lifecycle' };

export interface Completion {
  to: RegistrationState;
  reason: string;
  set?: RegistrationColumns;
  /** What the step ended with: names its audit event, and the webhook event of the announced ones. */
  audit: { event: StepEvent; outcome: 'success' | 'failure'; details?: Record<string, unknown> };
  attempt: { outcome: 'succeeded' | 'failed'; httpStatus?: number; clientId?: string; error?: object };
}

/**
 * The bookkeeping every lifecycle action shares, in the order the register use case set:
 * the move into the action's state and the attempt row commit together BEFORE the first
 * outbound call; the final move, the attempt's outcome and the audit event commit together
 * after it. A run that finds the action's state with a pending attempt knows a previous run
 * died in between.
 */
@Injectable()
export class LifecycleRecorder {
  private readonly logger = new Logger(LifecycleRecorder.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly attempts: RegistrationAttemptRepository,
    private readonly audit: AuditRepository,
    private readonly events: RegistrationEvents,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
  ) {}

  /**
   * Starts or resumes `action`: resumes when the registration is already in the action's state
   * (a previous run stopped), begins from one of `startable`, and returns null from any other
   * settled state (a stale or duplicate job). While another job works on the registration, or
   * moves it first between our read and our compare-and-set, it waits (a
   * `WaitForRegistrationError`): an app change or an offboarding arriving during a rotation is
   * carried out after it, never dropped. The caller re-reads and re-decides on the next run.
   */
  async start(
    registration: Registration,
    action: LifecycleAction,
    reason: string,
  ): Promise<RegistrationAttempt | null> {
    switch (decideStart(action, registration.state)) {
      case 'resume':
        return this.resume(registration, action);
      case 'begin': {
        const started = await this.begin(registration, action, reason);
        if (started) return started;
        throw new WaitForRegistrationError(
          BUSY_RETRY_MS,
          `another job moved the registration from ${registration.state}`,
        );
      }
      case 'wait':
        throw new WaitForRegistrationError(BUSY_RETRY_MS, `waiting for ${registration.state} to settle`);
      case 'nothing_to_do':
        return null;
    }
  }

  /** Null when another run moved the registration first (compare-and-set). */
  begin(registration: Registration, action: LifecycleAction, reason: string): Promise<RegistrationAttempt | null> {
    return this.ledger.write({
      kind: 'start_attempt',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      action,
      from: registration.state,
      to: ACTION_STATE[action],
      reason,
    });
  }

  /**
   * A previous run of this action stopped mid-way (worker killed, lock lost). Its attempt is
   * closed as `unknown` and audited with its nonce (the site may have acted on it), and a new
   * attempt starts. The caller then carries on from what the secret store holds.
   */
  async resume(registration: Registration, action: LifecycleAction): Promise<RegistrationAttempt> {
    const pending = await this.attempts.findPending(registration.id, action);
    return this.prisma.$transaction(async (tx) => {
      if (pending) {
        const error = {
          error: 'interrupted',
          error_description: 'the worker stopped before recording the answer',
          retryable: true,
        };
        await this.attempts.finish(tx, pending.id, { outcome: 'unknown', error });
        await this.audit.record(
          this.event(registration, `registration.${action}_interrupted`, 'failure', {
            attemptId: pending.id,
            nonce: pending.nonce,
            startedAt: pending.startedAt.toISOString(),
          }),
          tx,
        );
      }
      return this.attempts.start(tx, { tenantId: registration.tenantId, registrationId: registration.id, action });
    });
  }

  /** The step's end: the move, the attempt's outcome, the audit and webhook events, in one commit. */
  async complete(
    registration: Registration,
    action: LifecycleAction,
    attempt: RegistrationAttempt,
    completion: Completion,
  ): Promise<boolean> {
    const details = { attemptId: attempt.id, ...completion.audit.details };
    const announced = announcement(completion);
    const events = announced
      ? // Changes the site's administrators hear of: audit and webhook event with the change.
        this.events.rows(afterChange(await this.contextOf(registration), completion.to, completion.set), {
          actor: LIFECYCLE_ACTOR,
          type: announced.type,
          outcome: completion.audit.outcome,
          details,
          webhookData: announced.data,
        })
      : {
          audit: [
            this.event(registration, `registration.${completion.audit.event}`, completion.audit.outcome, details),
          ],
          outbox: [],
        };
    return this.ledger.write({
      kind: 'record_outcome',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      from: ACTION_STATE[action],
      to: completion.to,
      reason: completion.reason,
      columns: completion.set,
      attempt: { id: attempt.id, ...completion.attempt },
      ...events,
    });
  }

  /**
   * A failed step. Transient and attempts remain: back to the state the action started from
   * (the client still works; `retrying` belongs to first registrations, whose reconciler would
   * register again), the error and next attempt time recorded, and a `RetryLaterError` for the
   * queue. A delete stays `deleting` instead: offboarding is not undone. Otherwise `failed`,
   * with the server's error as the registration's `lastError`.
   */
  async fail(
    registration: Registration,
    action: LifecycleAction,
    attempt: RegistrationAttempt,
    problem: RegistrationProblem,
    job: JobAttempt,
  ): Promise<'failed'> {
    const { retryAfterMs, ...lastError } = problem;
    const retry = shouldRetry(lastError, job);
    const delayMs = retry ? backoffDelayMs(job.number, retryAfterMs) : 0;
    const nextAttemptAt = retry ? new Date(Date.now() + delayMs) : null;
    const active = ACTION_STATE[action];
    const startedFrom = retry && action !== 'delete' ? await this.origin(registration, active) : undefined;
    const to = stateAfterFailure(action, retry, startedFrom);
    const columns = { lastError, nextAttemptAt };
    const details = {
      attemptId: attempt.id,
      error: lastError.error,
      httpStatus: lastError.httpStatus,
      retryable: lastError.retryable,
    };
    const audit = [
      this.event(registration, `registration.${action}_${retry ? 'attempt_failed' : 'failed'}`, 'failure', details),
    ];
    // The site's administrators hear of a step that gave up (audited above under the action's name).
    const outbox = retry
      ? []
      : this.events.rows(afterChange(await this.contextOf(registration), to, columns), {
          actor: LIFECYCLE_ACTOR,
          type: 'registration.failed',
          outcome: 'failure',
          webhookData: failurePayload(lastError),
        }).outbox;
    await this.ledger.write({
      kind: 'record_outcome',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      from: active,
      to,
      reason: `${action}: ${lastError.error}`,
      columns,
      attempt: { id: attempt.id, outcome: 'failed', httpStatus: lastError.httpStatus, error: lastError },
      audit,
      outbox,
    });
    if (retry) {
      this.logger.warn(
        { registrationId: registration.id, action, error: lastError.error, delayMs },
        'lifecycle step will run again',
      );
      throw new RetryLaterError(delayMs, `${action}: ${lastError.error}`);
    }
    return 'failed';
  }

  private contextOf(registration: Registration): Promise<RegistrationContext> {
    return this.registrations.findWithContext(registration.tenantId, registration.id);
  }

  /** Records an audit event outside a state change (e.g. an old client left at a site). */
  record(
    registration: Registration,
    action: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(this.event(registration, action, outcome, details));
  }

  /** The state the registration was in before it entered `active` (its latest move into it). */
  private async origin(registration: Registration, active: RegistrationState): Promise<RegistrationState> {
    const entered = await this.registrations.lastEntryInto(registration.id, active);
    return (entered?.fromState as RegistrationState | null | undefined) ?? 'registered';
  }

  private event(
    registration: Registration,
    action: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ) {
    return registrationAuditEvent(LIFECYCLE_ACTOR, registration, action, outcome, details);
  }
}

/** The webhook event a completed lifecycle step announces, if any: chosen by the step's event. */
function announcement(
  completion: Completion,
): { type: RegistrationEventType; data: (context: RegistrationContext) => Record<string, unknown> } | null {
  const { event } = completion.audit;
  if (!isAnnounced(event)) return null;
  const details = completion.audit.details ?? {};
  // A re-registration replaced the client: say so, and which one, not just "changed".
  const replaced = {
    clientReplaced: details.method === 're_registration',
    ...(typeof details.previousClientId === 'string' && { previousClientId: details.previousClientId }),
  };
  switch (event) {
    case 'updated':
      return {
        type: 'registration.updated',
        data: () => ({
          changes: Array.isArray(details.differences) ? details.differences.map(String) : [],
          ...replaced,
        }),
      };
    case 'secret_rotated':
      return {
        type: 'registration.secret_rotated',
        data: (context) => ({
          clientSecretExpiresAt: context.registration.clientSecretExpiresAt?.toISOString() ?? null,
          ...replaced,
        }),
      };
    case 'deleted':
      return { type: 'registration.deleted', data: () => ({ reason: completion.reason }) };
  }
}
