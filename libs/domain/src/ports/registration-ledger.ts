import type { Actor } from '../entities.js';
import type { RegistrationState } from '../registration-state.js';
import type { TenantId } from '../tenant-id.js';

/**
 * The columns a registration step may write besides its state, typed by what they hold. A step
 * cannot write `tenantId`, the app or the site, nor a column this list does not name; `null`
 * clears a column (JSON ones included: the adapter knows how its database spells "no document").
 */
export interface RegistrationColumns {
  /** What the broker asks the site for, and its version (an app change moves both). */
  requestedMetadata?: object;
  metadataVersion?: number;
  clientId?: string | null;
  clientIdIssuedAt?: Date | null;
  clientSecretExpiresAt?: Date | null;
  clientSecretIssuedAt?: Date | null;
  /** What the site granted (a remote document: the adapter bounds it before storing). */
  grantedMetadata?: object | null;
  metadataDifferences?: object[] | null;
  credentialSecret?: string | null;
  credentialVersion?: string | null;
  managementSupported?: boolean | null;
  /** The last error (a `RegistrationError` without `retryAfterMs`). */
  lastError?: object | null;
  nextAttemptAt?: Date | null;
  drift?: object | null;
  managementBaseline?: object | null;
  lastVerifiedAt?: Date | null;
  udapCertificateId?: string | null;
  udapIss?: string | null;
  /** Counts one more first-registration attempt. */
  attemptCount?: { increment: 1 };
}

export type LedgerAction = 'register' | 'verify' | 'update' | 'rotate' | 'delete';

/** A pending attempt as the ledger wrote it. */
export interface StartedAttempt {
  id: string;
  registrationId: string;
  action: LedgerAction;
  /** Random id of the attempt, kept for operators matching a possibly orphaned client with the site. */
  nonce: string;
  outcome: 'pending';
  httpStatus: null;
  clientId: null;
  startedAt: Date;
  finishedAt: null;
}

/** How an attempt ended (`pending` is how it starts). */
export type AttemptEnd = 'succeeded' | 'failed' | 'unknown' | 'orphan_suspected' | 'compensated';

/** An audit event written with a step (never a secret in `details`). */
export interface LedgerAuditEvent {
  actor: Actor;
  tenantId: TenantId;
  action: string;
  outcome: 'success' | 'failure';
  appId: string;
  healthSystemId: string;
  registrationId: string;
  details?: Record<string, unknown>;
}

/** A webhook event for the outbox, its body already serialised (every delivery sends these bytes). */
export interface LedgerOutboxEvent {
  id: string;
  healthSystemId: string;
  type: string;
  body: string;
  createdAt: Date;
}

/** The steps of the registration protocol, each a compare-and-set on the registration's state. */
export type LedgerStep =
  /** Move into the action's active state and open its attempt: durable before any outbound call. */
  | {
      kind: 'start_attempt';
      tenantId: TenantId;
      registrationId: string;
      action: LedgerAction;
      from: RegistrationState;
      to: RegistrationState;
      reason?: string;
      /** A first registration counts its attempts on the row. */
      countAttempt?: boolean;
    }
  /**
   * The end of a step: the row moves `from` -> `to` with `columns` (`from` = `to`: the columns
   * only, while the row is still there), the attempt is closed, and the audit and webhook events
   * are written, all in one commit. The attempt and the events are written even when the
   * compare-and-set lost: they say what happened at the site.
   */
  | {
      kind: 'record_outcome';
      tenantId: TenantId;
      registrationId: string;
      from: RegistrationState;
      to: RegistrationState;
      reason?: string;
      columns?: RegistrationColumns;
      attempt?: { id: string; outcome: AttemptEnd; httpStatus?: number; clientId?: string; error?: object };
      audit: LedgerAuditEvent[];
      outbox: LedgerOutboxEvent[];
    }
  /** Name on the pending attempt the client the site just created, before its credential is stored. */
  | { kind: 'note_client'; attemptId: string; clientId: string }
  /**
   * A verification that found nothing to change: only `lastVerifiedAt` (no history, attempt or
   * audit row), and only while the row is still as the verification read it: in `state` and not
   * written since (`updatedAt`, which every other step moves). A row that moved and came back
   * (a rotation meanwhile) is not taken: what the other step recorded stands.
   */
  | {
      kind: 'clean_verify';
      tenantId: TenantId;
      registrationId: string;
      state: RegistrationState;
      updatedAt: Date;
      at: Date;
    };

/** What each step answers: `null` / `false` when the compare-and-set lost (the row had moved). */
export interface LedgerAnswer {
  start_attempt: StartedAttempt | null;
  record_outcome: boolean;
  note_client: boolean;
  clean_verify: boolean;
}

/**
 * The registration ledger: the protocol's steps as atomic writes. Each call resolves once its
 * step is committed, so a job that awaits it before its next outbound call keeps the crash-safety
 * order (attempt durable before the POST, client named before the credential is stored).
 * An adapter may commit the steps of concurrently running jobs together (group commit).
 */
export interface RegistrationLedger {
  write<S extends LedgerStep>(step: S): Promise<LedgerAnswer[S['kind']]>;
}

export const REGISTRATION_LEDGER = Symbol('RegistrationLedger');
