import { DomainError, ErrorCode } from './errors.js';

/**
 * THE registration state machine: which states exist, what may follow what, which state each
 * action runs in, the named sets every other module asks about, the retry decision and the
 * `registration.failed` payload. Nothing outside this file lists states; a rule about states
 * that is not here is a bug.
 */
export const REGISTRATION_STATES = [
  'queued',
  'discovering',
  'registering',
  'registered',
  'retrying', // transient error; `nextAttemptAt` says when
  'failed', // permanent error; needs the tenant or the operator
  'orphan_suspected', // crashed between the server's answer and our write; a client may exist at the site
  'verifying',
  'updating',
  'rotating',
  'deleting',
  'deleted',
  // A site without dynamic registration: a request went to the site's administrators, who register
  // the client by hand and enter its client id through the broker (or decline). No job works on it.
  'awaiting_site',
] as const;

export type RegistrationState = (typeof REGISTRATION_STATES)[number];

const TRANSITIONS: Record<RegistrationState, readonly RegistrationState[]> = {
  // queued/retrying -> registering: the site's description is held fresh, nothing to discover
  // (RegisterClientUseCase); -> retrying/failed: a step before the POST failed on the way there.
  queued: ['discovering', 'registering', 'retrying', 'failed', 'deleting', 'deleted'],
  discovering: ['registering', 'retrying', 'failed', 'deleting', 'awaiting_site'],
  registering: ['registered', 'retrying', 'failed', 'orphan_suspected', 'deleting'],
  retrying: ['discovering', 'registering', 'failed', 'deleting', 'deleted'],
  // failed -> verifying/updating/rotating: a lifecycle change the site refused (or a lost
  // management token) leaves a registered client that still works; it must still be verified,
  // have its secret rotated before expiry, and take the app's next metadata once fixed.
  failed: ['queued', 'verifying', 'updating', 'rotating', 'deleting', 'deleted'],
  orphan_suspected: ['queued', 'deleting', 'deleted'],
  registered: ['verifying', 'updating', 'rotating', 'deleting'],
  verifying: ['registered', 'updating', 'failed', 'deleting', 'queued'],
  updating: ['registered', 'failed', 'retrying', 'deleting'],
  rotating: ['registered', 'failed', 'retrying', 'deleting'],
  deleting: ['deleted', 'retrying', 'failed'],
  deleted: ['queued'],
  // registered: the site entered the client (proven where the grant allows); failed: it declined.
  awaiting_site: ['registered', 'failed', 'deleting', 'deleted', 'queued'],
};

/** Actions on a registration that exists at its site (the first registration is the `register` job). */
export type LifecycleAction = 'verify' | 'update' | 'rotate' | 'delete';

/** The state a registration is in while an action runs on it. */
export const ACTION_STATE = {
  verify: 'verifying',
  update: 'updating',
  rotate: 'rotating',
  delete: 'deleting',
} as const satisfies Record<LifecycleAction, RegistrationState>;

const states = (...list: RegistrationState[]): readonly RegistrationState[] => Object.freeze(list);

/** The named sets of states. Each is defined once, here. */
export const RegistrationStates = {
  /** No job is working on the registration: an onboarding counts it as done. */
  settled: states('registered', 'failed', 'orphan_suspected', 'deleted', 'awaiting_site'),
  /** A job (first registration or a lifecycle action) is working on the registration, or will. */
  inFlight: states('queued', 'retrying', 'discovering', 'registering', 'verifying', 'updating', 'rotating', 'deleting'),
  /** A lifecycle action may start: a client exists and no job is working on it. */
  startable: states('registered', 'failed'),
  /** Offboarding may start: no job is working on it (a queued first registration is simply not sent). */
  deletable: states('registered', 'failed', 'orphan_suspected', 'queued', 'retrying'),
  /** A new onboarding starts these again; any other state is left as it is. */
  restartable: states('failed', 'deleted'),
  /** An offboarding acts on every registration but its tombstone. */
  notDeleted: states(...REGISTRATION_STATES.filter((state) => state !== 'deleted')),
  /** A first registration's job owns these; stuck past a grace period, the reconciler enqueues it again. */
  firstRegistration: states('queued', 'discovering', 'registering'),
  /** The states a lifecycle action runs in; stuck, the reconciler resumes the action. */
  lifecycleActive: states(...Object.values(ACTION_STATE)),
} as const;

export function canTransition(from: RegistrationState, to: RegistrationState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: RegistrationState, to: RegistrationState): void {
  if (!canTransition(from, to)) {
    throw new DomainError(ErrorCode.InvalidStateTransition, `registration cannot move from ${from} to ${to}`, {
      from,
      to,
    });
  }
}

export function isRegistrationState(value: string): value is RegistrationState {
  return (REGISTRATION_STATES as readonly string[]).includes(value);
}

export function isIn(set: readonly RegistrationState[], state: RegistrationState): boolean {
  return set.includes(state);
}

/** The action whose state `state` is, if any (`rotating` -> `rotate`). */
export function actionOf(state: RegistrationState): LifecycleAction | null {
  const found = (Object.entries(ACTION_STATE) as Array<[LifecycleAction, RegistrationState]>).find(
    ([, active]) => active === state,
  );
  return found ? found[0] : null;
}

/** What a job does with a registration it found in some state. */
export type StartDecision = 'resume' | 'begin' | 'wait' | 'nothing_to_do';

/**
 * A lifecycle job found the registration in `state`: resume its own interrupted run, begin from
 * a startable state, wait while another job works on it (an app change arriving during a
 * rotation runs after it, never dropped), or do nothing (stale or duplicate job).
 */
export function decideStart(
  action: LifecycleAction,
  state: RegistrationState,
  startable: readonly RegistrationState[] = action === 'delete'
    ? RegistrationStates.deletable
    : RegistrationStates.startable,
): StartDecision {
  if (state === ACTION_STATE[action]) return 'resume';
  if (startable.includes(state)) return 'begin';
  if (RegistrationStates.inFlight.includes(state)) return 'wait';
  return 'nothing_to_do';
}

/** An error as a registration records it (`lastError`) and a failed step reports it. */
export interface RecordedError {
  error: string;
  error_description?: string;
  httpStatus?: number;
  retryable: boolean;
}

/**
 * The retry decision, one for every job: a transient error with attempts left runs again, anything
 * else settles as `failed`.
 */
export function shouldRetry(error: Pick<RecordedError, 'retryable'>, job: { final: boolean }): boolean {
  return error.retryable && !job.final;
}

/**
 * Where a failed step leaves the registration. Not retried: `failed`. Retried: a first
 * registration waits in `retrying` (its reconciler registers again); a delete stays `deleting`
 * (offboarding is not undone); any other action goes back to the state it started from, since
 * the client still works (`retrying` would have the reconciler register a second client).
 */
export function stateAfterFailure(
  step: LifecycleAction | 'register',
  retry: boolean,
  startedFrom: RegistrationState = 'registered',
): RegistrationState {
  if (!retry) return 'failed';
  if (step === 'register') return 'retrying';
  if (step === 'delete') return 'deleting';
  return startedFrom === 'failed' ? 'failed' : 'registered';
}

/** The `registration.failed` webhook payload: the same for every step that fails for good. */
export function failurePayload(error: RecordedError): {
  error: { code: string; description: string | null; httpStatus: number | null; retryable: boolean };
} {
  return {
    error: {
      code: error.error,
      description: error.error_description ?? null,
      httpStatus: error.httpStatus ?? null,
      retryable: error.retryable,
    },
  };
}

/** How a lifecycle step ended; its audit event is `registration.<event>`. */
export type StepEvent =
  | 'verified'
  | 'verify_failed'
  | 'management_access_lost'
  | 'updated'
  | 'secret_rotated'
  | 'secret_rotation_skipped'
  | 'deleted';

/** Step events the site's administrators hear of as a webhook event of the same name; verifications are not announced. */
const ANNOUNCED = ['updated', 'secret_rotated', 'deleted'] as const satisfies readonly StepEvent[];
export type AnnouncedStepEvent = (typeof ANNOUNCED)[number];

export function isAnnounced(event: StepEvent): event is AnnouncedStepEvent {
  return (ANNOUNCED as readonly StepEvent[]).includes(event);
}
