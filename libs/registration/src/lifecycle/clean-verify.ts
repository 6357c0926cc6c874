import { isDeepStrictEqual } from 'node:util';
import type { Registration } from '#domain';
import type { Completion } from './lifecycle-recorder.js';

/**
 * The rule of a clean verify (issue 18, item 3): a verify whose full record would change nothing
 * on the registration but `lastVerifiedAt` (same state, every other column it would write equal
 * to what the row holds) is recorded as that one column, with no history, attempt or audit row.
 * Everything else (drift, a failure, new credentials, a new expiry or baseline) is a change and
 * goes through the full protocol. One rule, stated on what the full protocol would write, so the
 * two paths cannot disagree about what a change is.
 */
export function changesNothing(registration: Registration, completion: Completion): boolean {
  if (completion.to !== registration.state) return false;
  return Object.entries(completion.set ?? {}).every(
    ([column, value]) => column === 'lastVerifiedAt' || sameValue(heldValue(registration, column), value),
  );
}

/**
 * Whether a verify of this registration can come out clean, judged from the row alone: not when
 * the last verify found drift or an error (a clean answer clears them: a change), nor when this
 * read will record the site's first management baseline. A cheap guess that saves the site a
 * second GET in those cases; `changesNothing` decides.
 */
export function mayVerifyClean(registration: Registration): boolean {
  return (
    registration.lastError === null &&
    registration.nextAttemptAt === null &&
    isNothing(registration.drift) &&
    !(registration.managementSupported && registration.managementBaseline === null)
  );
}

/**
 * Whether the row taken into `verifying` (`after`) is the row an optimistic read saw (`before`),
 * apart from that move: then no other action ran in between (each writes a column besides its
 * state: a verify `lastVerifiedAt`, a rotation the credential version, an update the metadata, a
 * failure `lastError`), and what that read observed can be recorded without reading the site
 * again. A second read is not free: sites that rotate the registration access token on every
 * call (Keycloak) would issue, and the broker store, one more token per verify.
 */
export function unchangedSince(before: Registration, after: Registration): boolean {
  return isDeepStrictEqual({ ...before, state: null, updatedAt: null }, { ...after, state: null, updatedAt: null });
}

/** A column the registration entity does not carry: never "the same" (the full protocol records it). */
const NOT_HELD = Symbol('not held');

function heldValue(registration: Registration, column: string): unknown {
  return column in registration ? (registration as unknown as Record<string, unknown>)[column] : NOT_HELD;
}

function sameValue(held: unknown, next: unknown): boolean {
  if (held === NOT_HELD) return false;
  // No list and an empty list say the same (a never-verified row has `drift` null; a verify writes []).
  if (isNothing(held) && isNothing(next)) return true;
  if (held instanceof Date || next instanceof Date) {
    return held instanceof Date && next instanceof Date && held.getTime() === next.getTime();
  }
  // JSON columns come back with PostgreSQL's key order (jsonb): compared member by member.
  return isDeepStrictEqual(held, next);
}

function isNothing(value: unknown): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.length === 0);
}
