/**
 * The one place where whatever a site answers becomes the canonical RFC 7591 / RFC 7592 shape,
 * and where what the broker sends is made canonical. Everything above this module (comparison,
 * drift, PUT bodies, credentials) sees one model of a client.
 *
 * Variations seen at real servers and what becomes of them:
 * - a single-valued member answered as a one-element array (`"token_endpoint_auth_method":
 *   ["client_secret_basic"]`): the element;
 * - `scope` answered as an array of scope tokens: the space-separated string (RFC 6749 §3.3);
 * - an array member answered as a single string (`"redirect_uris": "https://..."`): a one-element array;
 * - numbers answered as numeric strings (`"client_secret_expires_at": "0"`): the number;
 * - an absent member answered as `""`, `[]`, `null` or `{}`: absent;
 * - members no RFC or registry defines (vendor extras): kept aside in `extras`, never compared
 *   as drift and never sent back in a PUT (the same server may refuse them).
 *
 * RFC 7591 leaves room on `response_types: []` (the default is ["code"]); the broker treats an
 * empty list as absent in comparisons, and sends only what the app asks for.
 */

/** RFC 7591 §2 / §3.2.1, RFC 7592 §3 and OpenID Connect Registration members holding one string. */
const STRING_MEMBERS = new Set([
  'client_id',
  'client_secret',
  'registration_access_token',
  'registration_client_uri',
  'token_endpoint_auth_method',
  'client_name',
  'client_uri',
  'logo_uri',
  'scope',
  'tos_uri',
  'policy_uri',
  'jwks_uri',
  'software_id',
  'software_version',
  'software_statement',
  'application_type',
  'sector_identifier_uri',
  'subject_type',
  'id_token_signed_response_alg',
  'id_token_encrypted_response_alg',
  'id_token_encrypted_response_enc',
  'userinfo_signed_response_alg',
  'userinfo_encrypted_response_alg',
  'userinfo_encrypted_response_enc',
  'request_object_signing_alg',
  'request_object_encryption_alg',
  'request_object_encryption_enc',
  'token_endpoint_auth_signing_alg',
  'initiate_login_uri',
  'introspection_endpoint_auth_method',
  'revocation_endpoint_auth_method',
  'tls_client_auth_subject_dn',
]);

/** Members holding a number (seconds since the epoch, or an age). */
const NUMBER_MEMBERS = new Set(['client_id_issued_at', 'client_secret_expires_at', 'default_max_age']);

/** Members holding a list. */
const ARRAY_MEMBERS = new Set([
  'redirect_uris',
  'grant_types',
  'response_types',
  'contacts',
  'post_logout_redirect_uris',
  'request_uris',
  'default_acr_values',
  'web_message_uris',
]);

/** Members holding a JSON object or a boolean. */
const OTHER_MEMBERS = new Set(['jwks', 'require_auth_time', 'require_pushed_authorization_requests']);

/** Whether the broker knows the member (RFC 7591/7592, OpenID Connect Registration). */
export function isKnownMember(field: string): boolean {
  return STRING_MEMBERS.has(field) || NUMBER_MEMBERS.has(field) || ARRAY_MEMBERS.has(field) || OTHER_MEMBERS.has(field);
}

export interface NormalisedDocument {
  /** Known members in canonical shape; absent ones left out. */
  document: Record<string, unknown>;
  /** Members no RFC defines, as the site sent them. */
  extras: Record<string, unknown>;
}

const isEmpty = (value: unknown): boolean =>
  value === null ||
  value === undefined ||
  value === '' ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);

/** One member in canonical shape, or undefined when it says "absent". Unreadable shapes stay as sent. */
export function canonicalMember(field: string, raw: unknown): unknown {
  let value = raw;
  if (STRING_MEMBERS.has(field)) {
    if (field === 'scope' && Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      value = value.filter(Boolean).join(' ');
    } else if (Array.isArray(value) && value.length === 1) value = value[0];
    if (typeof value === 'string')
      value = field === 'scope' ? value.trim().split(/\s+/).filter(Boolean).join(' ') : value;
  } else if (NUMBER_MEMBERS.has(field)) {
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (typeof value === 'string' && /^\d+$/.test(value.trim())) value = Number(value.trim());
  } else if (ARRAY_MEMBERS.has(field)) {
    if (typeof value === 'string' && value !== '') value = [value];
    if (Array.isArray(value)) value = value.filter((item) => item !== '' && item !== null);
  }
  return isEmpty(value) ? undefined : value;
}

/** Every member of a document (an answer, or what the broker is about to send) in canonical shape. */
export function normaliseClientDocument(raw: unknown): NormalisedDocument {
  const document: Record<string, unknown> = {};
  const extras: Record<string, unknown> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { document, extras };
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!isKnownMember(field)) {
      if (!isEmpty(value)) extras[field] = value;
      continue;
    }
    const canonical = canonicalMember(field, value);
    if (canonical !== undefined) document[field] = canonical;
  }
  return { document, extras };
}

/** Canonical client metadata to send (RFC 7591 §2): known members only, absent ones left out. */
export function canonicalMetadata(metadata: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(metadata)) {
    // What the app explicitly asks for is sent even if the broker does not know the member.
    const canonical = isKnownMember(field) ? canonicalMember(field, value) : isEmpty(value) ? undefined : value;
    if (canonical !== undefined) out[field] = canonical;
  }
  return out;
}
