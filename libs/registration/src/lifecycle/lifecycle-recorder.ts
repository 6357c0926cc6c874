import { Injectable, Logger } from '@nestjs/common';
import type { Registration, RegistrationState, SystemActor } from '#domain';
import {
  AuditRepository,
  PrismaService,
  RegistrationAttemptRepository,
  RegistrationRepository,
  type Prisma,
  type RegistrationAttempt,
  type RegistrationContext,
} from '#persistence';
import { backoffDelayMs, RetryLaterError, WaitForRegistrationError } from '#queue';
import type { RegistrationProblem } from '../registering/registration-errors.js';
import type { JobAttempt } from '#queue';
import { RegistrationEvents, type RegistrationEventType } from '../registering/registration-events.js';

export type LifecycleAction = 'verify' | 'update' | 'rotate' | 'delete';

/** The state a registration is in while an action runs on it. */
export const ACTIVE_STATE = {
  verify: 'verifying',
  update: 'updating',
  rotate: 'rotating',
  delete: 'deleting',
} as const satisfies Record<LifecycleAction, RegistrationState>;

/** States a lifecycle action may start from: a client exists and no job is working on it. */
export const STARTABLE_STATES: readonly RegistrationState[] = ['registered', 'failed'];

/** States in which a job (first registration or another lifecycle action) is working on the registration. */
const IN_FLIGHT_STATES: readonly RegistrationState[] = [
  'queued',
  'retrying',
  'discovering',
  'registering',
  'verifying',
  'updating',
  'rotating',
  'deleting',
];
const BUSY_RETRY_MS = 2_000;

export const LIFECYCLE_ACTOR: SystemActor = { type: 'system', component: 'lifecycle' };

export interface Completion {
  to: RegistrationState;
  reason: string;
  set?: Prisma.RegistrationUncheckedUpdateManyInput;
  audit: { action: string; outcome: 'success' | 'failure'; details?: Record<string, unknown> };
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
    startable: readonly RegistrationState[] = STARTABLE_STATES,
  ): Promise<RegistrationAttempt | null> {
    if (registration.state === ACTIVE_STATE[action]) return this.resume(registration, action);
    if (startable.includes(registration.state)) {
      const started = await this.begin(registration, action, reason);
      if (started) return started;
      throw new WaitForRegistrationError(
        BUSY_RETRY_MS,
        `another job moved the registration from ${registration.state}`,
      );
    }
    if (IN_FLIGHT_STATES.includes(registration.state)) {
      throw new WaitForRegistrationError(BUSY_RETRY_MS, `waiting for ${registration.state} to settle`);
    }
    return null;
  }

  /** Null when another run moved the registration first (compare-and-set). */
  begin(registration: Registration, action: LifecycleAction, reason: string): Promise<RegistrationAttempt | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        { from: registration.state, to: ACTIVE_STATE[action], reason },
        tx,
      );
      return moved
        ? this.attempts.start(tx, { tenantId: registration.tenantId, registrationId: registration.id, action })
        : null;
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

  async complete(
    registration: Registration,
    action: LifecycleAction,
    attempt: RegistrationAttempt,
    completion: Completion,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        { from: ACTIVE_STATE[action], to: completion.to, reason: completion.reason, set: completion.set },
        tx,
      );
      await this.attempts.finish(tx, attempt.id, completion.attempt);
      const details = { attemptId: attempt.id, ...completion.audit.details };
      const announced = announcement(completion);
      if (announced) {
        // Changes the site's administrators hear of: audit and webhook event in this transaction.
        await this.events.record(tx, {
          tenantId: registration.tenantId,
          registrationId: registration.id,
          actor: LIFECYCLE_ACTOR,
          type: announced.type,
          outcome: completion.audit.outcome,
          details,
          webhookData: announced.data,
        });
      } else {
        await this.audit.record(
          this.event(registration, completion.audit.action, completion.audit.outcome, details),
          tx,
        );
      }
      return moved;
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
    const retry = lastError.retryable && !job.final;
    const delayMs = retry ? backoffDelayMs(job.number, retryAfterMs) : 0;
    const nextAttemptAt = retry ? new Date(Date.now() + delayMs) : null;
    const active = ACTIVE_STATE[action];
    const to: RegistrationState = !retry
      ? 'failed'
      : action === 'delete'
        ? 'deleting'
        : await this.origin(registration, active);
    await this.prisma.$transaction(async (tx) => {
      if (to === active) {
        await tx.registration.updateMany({
          where: { id: registration.id, tenantId: registration.tenantId },
          data: { lastError, nextAttemptAt },
        });
      } else {
        await this.registrations.transition(
          registration.tenantId,
          registration.id,
          { from: active, to, reason: `${action}: ${lastError.error}`, set: { lastError, nextAttemptAt } },
          tx,
        );
      }
      await this.attempts.finish(tx, attempt.id, {
        outcome: 'failed',
        httpStatus: lastError.httpStatus,
        error: lastError,
      });
      const details = {
        attemptId: attempt.id,
        error: lastError.error,
        httpStatus: lastError.httpStatus,
        retryable: lastError.retryable,
      };
      await this.audit.record(
        this.event(registration, `registration.${action}_${retry ? 'attempt_failed' : 'failed'}`, 'failure', details),
        tx,
      );
      if (!retry) {
        await this.events.announce(tx, {
          tenantId: registration.tenantId,
          registrationId: registration.id,
          type: 'registration.failed',
          data: {
            error: {
              code: lastError.error,
              description: lastError.error_description ?? null,
              httpStatus: lastError.httpStatus ?? null,
              retryable: lastError.retryable,
            },
          },
        });
      }
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
    const history = await this.registrations.history(registration.tenantId, registration.id);
    const entered = history.filter((transition) => transition.toState === active).at(-1);
    return entered?.fromState === 'failed' ? 'failed' : 'registered';
  }

  private event(
    registration: Registration,
    action: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ) {
    return {
      actor: LIFECYCLE_ACTOR,
      tenantId: registration.tenantId,
      appId: registration.appId,
      healthSystemId: registration.healthSystemId,
      registrationId: registration.id,
      action,
      outcome,
      details,
    };
  }
}

/** The webhook event a completed lifecycle step announces, if any (verifications are not announced). */
function announcement(
  completion: Completion,
): { type: RegistrationEventType; data: (context: RegistrationContext) => Record<string, unknown> } | null {
  const details = completion.audit.details ?? {};
  switch (completion.audit.action) {
    case 'registration.updated':
      return {
        type: 'registration.updated',
        data: () => ({
          changes: Array.isArray(details.differences) ? details.differences.map(String) : [],
          clientReplaced: details.method === 're_registration',
          // A re-registration replaced the client: say which one, not just "changed".
          ...(typeof details.previousClientId === 'string' && { previousClientId: details.previousClientId }),
        }),
      };
    case 'registration.secret_rotated':
      return {
        type: 'registration.secret_rotated',
        data: (context) => ({
          clientSecretExpiresAt: context.registration.clientSecretExpiresAt?.toISOString() ?? null,
          // The site could not renew the secret: a new client replaced the old one. Say so, and which.
          clientReplaced: details.method === 're_registration',
          ...(typeof details.previousClientId === 'string' && { previousClientId: details.previousClientId }),
        }),
      };
    case 'registration.deleted':
      return { type: 'registration.deleted', data: () => ({ reason: completion.reason }) };
    default:
      return null;
  }
}
