/**
 * What a server changed between the metadata a client asked for and what it registered.
 * RFC 7591 §3.2.1: "The authorization server MAY reject or replace any of the client's
 * requested metadata values submitted during the registration and substitute them with
 * suitable values." The broker stores both documents and tells the tenant about each change.
 */

export type MetadataChangeKind = 'narrowed' | 'replaced' | 'added' | 'removed';

export interface MetadataDifference {
  field: string;
  requested: unknown;
  granted: unknown;
  /**
   * `narrowed`: the granted set is a strict subset of the requested one (scope, grant_types...);
   * `replaced`: another value; `added`: granted but not asked for (server defaults);
   * `removed`: asked for but not granted.
   */
  kind: MetadataChangeKind;
}

/** Members that are credentials or registration bookkeeping, not client metadata. */
export const NON_METADATA_FIELDS: ReadonlySet<string> = new Set([
  'client_id',
  'client_secret',
  'client_id_issued_at',
  'client_secret_expires_at',
  'registration_access_token',
  'registration_client_uri',
  'software_statement',
]);

/** JSON with object keys sorted, so that `{a,b}` and `{b,a}` compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonical(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The value as a set when order carries no meaning: `scope` is a space-separated set
 * (RFC 6749 §3.3) and every RFC 7591 array member (redirect_uris, grant_types, contacts,
 * jwks.keys...) is a set in practice. Undefined for scalars and objects.
 */
function asSet(field: string, value: unknown): Set<string> | undefined {
  if (field === 'scope' && typeof value === 'string') return new Set(value.split(/\s+/).filter(Boolean));
  if (Array.isArray(value)) return new Set(value.map(canonical));
  return undefined;
}

function isSubset(small: Set<string>, large: Set<string>): boolean {
  return [...small].every((member) => large.has(member));
}

export function diffMetadata(
  requested: Readonly<Record<string, unknown>>,
  granted: Readonly<Record<string, unknown>>,
): MetadataDifference[] {
  const fields = [...new Set([...Object.keys(requested), ...Object.keys(granted)])]
    .filter((field) => !NON_METADATA_FIELDS.has(field))
    .sort();
  const differences: MetadataDifference[] = [];
  for (const field of fields) {
    const want = requested[field];
    const got = granted[field];
    if (want === undefined && got === undefined) continue;
    if (got === undefined) {
      differences.push({ field, requested: want, granted: got, kind: 'removed' });
      continue;
    }
    if (want === undefined) {
      differences.push({ field, requested: want, granted: got, kind: 'added' });
      continue;
    }
    const wantSet = asSet(field, want);
    const gotSet = asSet(field, got);
    if (wantSet && gotSet) {
      const same = wantSet.size === gotSet.size && isSubset(gotSet, wantSet);
      if (same) continue;
      const kind = isSubset(gotSet, wantSet) ? 'narrowed' : 'replaced';
      differences.push({ field, requested: want, granted: got, kind });
      continue;
    }
    if (canonical(want) !== canonical(got)) {
      differences.push({ field, requested: want, granted: got, kind: 'replaced' });
    }
  }
  return differences;
}
