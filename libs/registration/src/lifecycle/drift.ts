import { diffMetadata, type MetadataChangeKind } from '#smart-client';
import type { Usability } from '../engine/usability-check.js';

/** One field a site changed behind the broker's back (an administrator, a server upgrade...). */
export interface DriftEntry {
  field: string;
  /** What the broker recorded as granted. */
  expected: unknown;
  /** What the site returns now (RFC 7592 GET). */
  actual: unknown;
  /** `removed`: gone at the site; `added`: new at the site; `narrowed` / `replaced`: changed. */
  kind: MetadataChangeKind;
}

/**
 * Field-by-field difference between what the broker holds and what the site's RFC 7592 read
 * shows now, without false alarms at sites that answer differently from their registration
 * answer. Both sides are canonical (the smart-client normaliser: "" / [] are absent, one-element
 * arrays unwrapped). Sets (scope, redirect_uris, grant_types...) compare as sets.
 *
 * `baseline` is the canonical read of the first verify after registration (or after an update or
 * a new client): it shows which members this site's reads carry. Then:
 * - a member in both the reference and the read: compared (the baseline's value wins over the
 *   registration answer's, so server-owned members take their first-read value);
 * - a member the read omits: "unknown" (a thin answer), unless the baseline had it: `removed`;
 * - a member only the read has: a server default when there is no baseline yet (absorbed), an
 *   `added` drift once the baseline showed it absent.
 */
export function detectDrift(
  held: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
  baseline: Readonly<Record<string, unknown>> | null = null,
): DriftEntry[] {
  const reference: Record<string, unknown> = { ...held, ...(baseline ?? {}) };
  const compared: Record<string, unknown> = {};
  const seen: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(reference)) {
    if (current[field] !== undefined) {
      compared[field] = value;
      seen[field] = current[field];
    } else if (baseline && baseline[field] !== undefined) compared[field] = value; // shown before, gone now
  }
  for (const [field, value] of Object.entries(current)) {
    if (reference[field] === undefined && baseline) seen[field] = value; // new since the baseline
  }
  return diffMetadata(compared, seen).map(({ field, requested, granted, kind }) => ({
    field,
    expected: requested,
    actual: granted,
    kind,
  }));
}

/** The baseline to keep after a read: the first read's canonical metadata. */
export function baselineAfterRead(
  baseline: Readonly<Record<string, unknown>> | null,
  current: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return baseline ? { ...baseline } : { ...current };
}

/** Drift entry for a client the site no longer has. */
export const CLIENT_GONE_DRIFT: DriftEntry = {
  field: 'client_id',
  expected: 'registered',
  actual: null,
  kind: 'removed',
};

/**
 * A site may echo the requested scope at registration and grant less in tokens. The scope a
 * token answer grants is recorded as a `token_scope` entry when it is narrower than the scope
 * the proof asked for, so the tenant sees it next to the registered metadata.
 */
export function tokenScopeDrift(held: Readonly<Record<string, unknown>>, usable: Usability): DriftEntry[] {
  if (usable.status !== 'usable' || usable.tokenScope === undefined || !usable.requestedScope) return [];
  const asked = new Set(usable.requestedScope.split(/\s+/).filter(Boolean));
  const got = new Set(usable.tokenScope.split(/\s+/).filter(Boolean));
  const missing = [...asked].filter((scope) => !got.has(scope));
  if (missing.length === 0) return [];
  return [
    {
      field: 'token_scope',
      expected: typeof held.scope === 'string' ? held.scope : usable.requestedScope,
      actual: usable.tokenScope,
      kind: [...got].every((scope) => asked.has(scope)) ? 'narrowed' : 'replaced',
    },
  ];
}
