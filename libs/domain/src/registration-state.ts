import { DomainError, ErrorCode } from './errors.js';

/**
 * States of one app's registration at one health system. Only `transition()` changes a
 * state; anything it does not list is a bug and throws.
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
  queued: ['discovering', 'deleting', 'deleted'],
  discovering: ['registering', 'retrying', 'failed', 'deleting', 'awaiting_site'],
  registering: ['registered', 'retrying', 'failed', 'orphan_suspected', 'deleting'],
  retrying: ['discovering', 'failed', 'deleting', 'deleted'],
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

/** States in which no job is working on the registration. */
export const SETTLED_STATES: readonly RegistrationState[] = [
  'registered',
  'failed',
  'orphan_suspected',
  'deleted',
  'awaiting_site',
];

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
