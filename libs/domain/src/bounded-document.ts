/**
 * Bounds a JSON document a remote site sent (a registration answer, a discovery document)
 * before the broker keeps it: a hostile or broken site must not be able to make the broker
 * store megabytes, or nest values so deep that the next walk over them (JSON.stringify, the
 * database driver, a diff) overflows the stack.
 *
 * Pure and iterative (an explicit stack, never recursion), linear in what it keeps. The members
 * RFC 7591 §2-3 and RFC 7592 §3 define are kept first; the rest are kept while they fit and
 * truncated or dropped otherwise. Every change is reported, so the caller can say what was cut.
 */
export interface DocumentBounds {
  /** Deepest nesting kept below a top-level member (the member itself is depth 1). */
  maxDepth: number;
  /** Most members of one object, or items of one array, kept. */
  maxMembers: number;
  /** Longest string kept (in UTF-16 code units); longer strings are cut. */
  maxStringLength: number;
  /** Largest JSON text of the whole bounded document (approximate, in characters). */
  maxBytes: number;
}

export const DEFAULT_DOCUMENT_BOUNDS: DocumentBounds = {
  maxDepth: 8,
  maxMembers: 200,
  maxStringLength: 16_384,
  maxBytes: 256 * 1024,
};

/** The members RFC 7591 (client metadata and response) and RFC 7592 (management) define, plus SMART's. */
export const REGISTRATION_MEMBERS: ReadonlySet<string> = new Set([
  'client_id',
  'client_secret',
  'client_id_issued_at',
  'client_secret_expires_at',
  'registration_access_token',
  'registration_client_uri',
  'redirect_uris',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
  'client_name',
  'client_uri',
  'logo_uri',
  'scope',
  'contacts',
  'tos_uri',
  'policy_uri',
  'jwks_uri',
  'jwks',
  'software_id',
  'software_version',
  'software_statement',
  'token_endpoint_auth_signing_alg',
  'id_token_signed_response_alg',
  'application_type',
  'fhir_versions',
]);

export interface BoundedDocument {
  document: Record<string, unknown>;
  /** What was cut, one sentence each (empty when the document was kept as it came). */
  notes: string[];
}

const MAX_NOTES = 20;

type Container = Record<string, unknown> | unknown[];

/**
 * The document within `bounds`. A document that is not a JSON object becomes `{}` with a note.
 * Values that are not JSON (functions, undefined, NaN) are dropped like a member too deep.
 */
export function boundDocument(input: unknown, bounds: DocumentBounds = DEFAULT_DOCUMENT_BOUNDS): BoundedDocument {
  const notes: string[] = [];
  const note = (text: string) => {
    if (notes.length < MAX_NOTES) notes.push(text);
    else if (notes.length === MAX_NOTES) notes.push('more members were cut');
  };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    note('the document is not a JSON object: nothing kept');
    return { document: {}, notes };
  }

  // Registration members first, so the size budget goes to them before any extension.
  const entries = Object.entries(input);
  const ordered = [
    ...entries.filter(([name]) => REGISTRATION_MEMBERS.has(name)),
    ...entries.filter(([name]) => !REGISTRATION_MEMBERS.has(name)),
  ];
  if (ordered.length > bounds.maxMembers) {
    note(`${ordered.length - bounds.maxMembers} top-level members dropped (more than ${bounds.maxMembers})`);
  }

  const document: Record<string, unknown> = {};
  let size = 2;
  for (const [name, value] of ordered.slice(0, bounds.maxMembers)) {
    const kept = boundValue(value, bounds, (text) => note(`${name}: ${text}`));
    if (kept === undefined) {
      note(`${name}: dropped (not a JSON value)`);
      continue;
    }
    const memberSize = name.length + 4 + kept.size;
    if (size + memberSize > bounds.maxBytes) {
      note(`${name}: dropped (the document would exceed ${bounds.maxBytes} bytes)`);
      continue;
    }
    setMember(document, name, kept.value);
    size += memberSize;
  }
  return { document, notes };
}

/** A bounded copy of one value and the approximate length of its JSON text. */
function boundValue(
  value: unknown,
  bounds: DocumentBounds,
  note: (text: string) => void,
): { value: unknown; size: number } | undefined {
  const root = scalar(value, bounds, note);
  if (root !== NOT_SCALAR) return root;

  let size = 2;
  let deepestCut = 0;
  let membersCut = 0;
  const copyOf = (source: object): Container => (Array.isArray(source) ? [] : {});
  const rootCopy = copyOf(value as object);
  const pending: Array<{ source: object; target: Container; depth: number }> = [
    { source: value as object, target: rootCopy, depth: 1 },
  ];
  while (pending.length) {
    const { source, target, depth } = pending.pop()!;
    const count = Array.isArray(source) ? source.length : Object.keys(source).length;
    if (count > bounds.maxMembers) membersCut += count - bounds.maxMembers;
    const children: Array<[string | number, unknown]> = Array.isArray(source)
      ? source.slice(0, bounds.maxMembers).map((item, index) => [index, item])
      : Object.entries(source).slice(0, bounds.maxMembers);
    for (const [key, child] of children) {
      // Every kept child adds at least one character, so this bounds the work as well as the size.
      if (size > bounds.maxBytes) break;
      let kept: unknown;
      const leaf = scalar(child, bounds, note);
      if (leaf === undefined) continue;
      if (leaf !== NOT_SCALAR) {
        kept = leaf.value;
        size += leaf.size + 1;
      } else if (depth >= bounds.maxDepth) {
        deepestCut = depth;
        continue;
      } else {
        kept = copyOf(child as object);
        size += 2;
        pending.push({ source: child as object, target: kept as Container, depth: depth + 1 });
      }
      if (Array.isArray(target)) target.push(kept);
      else {
        setMember(target, key as string, kept);
        size += String(key).length + 3;
      }
    }
  }
  if (deepestCut) note(`values nested deeper than ${bounds.maxDepth} levels dropped`);
  if (membersCut) note(`${membersCut} array items or object members dropped (more than ${bounds.maxMembers} in one)`);
  return { value: rootCopy, size };
}

const NOT_SCALAR = Symbol('not a scalar');

/** A scalar's bounded value and JSON length; `NOT_SCALAR` for objects and arrays; undefined for non-JSON. */
function scalar(
  value: unknown,
  bounds: DocumentBounds,
  note: (text: string) => void,
): { value: unknown; size: number } | typeof NOT_SCALAR | undefined {
  if (value === null) return { value, size: 4 };
  switch (typeof value) {
    case 'string': {
      if (value.length <= bounds.maxStringLength) return { value, size: value.length + 2 };
      note(`a string of ${value.length} characters cut to ${bounds.maxStringLength}`);
      return { value: value.slice(0, bounds.maxStringLength), size: bounds.maxStringLength + 2 };
    }
    case 'number':
      return Number.isFinite(value) ? { value, size: String(value).length } : undefined;
    case 'boolean':
      return { value, size: 5 };
    case 'object':
      return NOT_SCALAR;
    default:
      return undefined;
  }
}

/** An own member, even for a name such as `__proto__` (an assignment would set the prototype). */
function setMember(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
