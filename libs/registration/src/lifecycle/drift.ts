import { diffMetadata, type MetadataChangeKind } from '#smart-client';

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
 * Field-by-field difference between the metadata the broker holds as granted and what the site
 * returns now. Sets (scope, redirect_uris, grant_types...) compare as sets, as at registration.
 */
export function detectDrift(
  held: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): DriftEntry[] {
  return diffMetadata(held, current).map(({ field, requested, granted, kind }) => ({
    field,
    expected: requested,
    actual: granted,
    kind,
  }));
}

/** Drift entry for a client the site no longer has. */
export const CLIENT_GONE_DRIFT: DriftEntry = {
  field: 'client_id',
  expected: 'registered',
  actual: null,
  kind: 'removed',
};
