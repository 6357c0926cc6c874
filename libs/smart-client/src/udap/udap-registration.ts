import { z } from 'zod';
import type { SecretValue } from '#domain';
import { errorFromResponse, send, SmartClientError } from '../errors.js';
import type { SafeHttpClient } from '../http/safe-http.js';
import { diffMetadata, type MetadataDifference } from '../registration/diff-metadata.js';
import { newJti, signX5cJwt, type UdapAlgorithm } from './x5c-jwt.js';

/**
 * UDAP Dynamic Client Registration (HL7 UDAP Security IG §3, "Registration"; UDAP.org DCR).
 */

/** IG §3.1: `exp` no more than 5 minutes after `iat`; four leave room for the server's clock. */
export const SOFTWARE_STATEMENT_LIFETIME_SECONDS = 240;

/** The app metadata a software statement carries (IG §3.1 table), before the IG's rules are applied. */
export interface UdapClientMetadata {
  client_name: string;
  grant_types: readonly string[];
  redirect_uris?: readonly string[];
  logo_uri?: string;
  contacts?: readonly string[];
  scope?: string;
}

export class UdapMetadataError extends Error {
  constructor(readonly problems: string[]) {
    super(`the app's metadata cannot be registered the UDAP way: ${problems.join('; ')}`);
    this.name = 'UdapMetadataError';
  }
}

/**
 * The software statement claims of IG §3.1 from an app's metadata. Throws `UdapMetadataError`
 * listing every rule the app breaks (they need the tenant, not a retry). An empty `grant_types`
 * is a cancellation (IG §3.4) and only carries the identity and the required claims.
 */
export function softwareStatementClaims(
  metadata: UdapClientMetadata,
  options: { iss: string; registrationEndpoint: string; now?: number; cancel?: boolean },
): Record<string, unknown> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const base = {
    iss: options.iss,
    sub: options.iss, // IG §3.1: same as iss
    aud: options.registrationEndpoint, // IG §3.1: the registration URL, as the server published it (§7.1.5)
    iat: now,
    exp: now + SOFTWARE_STATEMENT_LIFETIME_SECONDS,
    jti: newJti(),
    client_name: metadata.client_name,
    contacts: contactsOf(metadata),
    token_endpoint_auth_method: 'private_key_jwt', // IG §3.1: fixed value
    scope: metadata.scope ?? '',
  };
  if (options.cancel) return { ...base, grant_types: [] };

  const problems: string[] = [];
  const grants = new Set(metadata.grant_types);
  const authorizationCode = grants.has('authorization_code');
  const clientCredentials = grants.has('client_credentials');
  // IG §3.1 grant_types: authorization_code or client_credentials, not both; refresh_token only with authorization_code.
  if (authorizationCode === clientCredentials) {
    problems.push('grant_types must include either authorization_code or client_credentials, not both (IG §3.1)');
  }
  const grantTypes = metadata.grant_types.filter((g) =>
    ['authorization_code', 'refresh_token', 'client_credentials'].includes(g),
  );
  if (grants.has('refresh_token') && !authorizationCode) {
    problems.push('refresh_token needs authorization_code (IG §3.1)');
  }
  const claims: Record<string, unknown> = { ...base, grant_types: grantTypes };
  if (authorizationCode) {
    // IG §3.1: redirect_uris present (https) and logo_uri required; response_types fixed to ["code"].
    const redirects = metadata.redirect_uris ?? [];
    if (redirects.length === 0) problems.push('redirect_uris are required with authorization_code (IG §3.1)');
    if (redirects.some((uri) => !uri.startsWith('https:'))) problems.push('each redirect URI must use https (IG §3.1)');
    if (!metadata.logo_uri) problems.push('logo_uri is required with authorization_code (IG §3.1)');
    else if (!/^https:.*\.(png|jpe?g|gif)$/i.test(metadata.logo_uri)) {
      problems.push('logo_uri must be an https URL of a PNG, JPG or GIF image (IG §3.1)');
    }
    claims.redirect_uris = redirects;
    claims.logo_uri = metadata.logo_uri;
    claims.response_types = ['code'];
  }
  // IG §3.1: redirect_uris and response_types are absent without authorization_code.
  if (!(claims.contacts as string[]).some((c) => c.startsWith('mailto:'))) {
    problems.push('contacts must hold at least one mailto: address (IG §3.1)');
  }
  if (!metadata.scope) problems.push('scope is required (IG §3.1)');
  if (problems.length) throw new UdapMetadataError(problems);
  return claims;
}

/** RFC 7591 contacts are e-mail addresses; UDAP wants URIs with at least one `mailto:` (IG §3.1). */
function contactsOf(metadata: UdapClientMetadata): string[] {
  return (metadata.contacts ?? []).map((contact) =>
    /^[a-z][a-z0-9+.-]*:/i.test(contact) ? contact : `mailto:${contact}`,
  );
}

export interface UdapSigner {
  alg: UdapAlgorithm;
  privateKeyPem: SecretValue;
  x5c: readonly string[];
}

export async function signSoftwareStatement(claims: Record<string, unknown>, signer: UdapSigner): Promise<string> {
  return signX5cJwt(claims, signer);
}

export interface UdapRegisterRequest {
  registrationEndpoint: string;
  softwareStatement: string;
  /** The claims inside the statement (what was requested), for requested-vs-granted. */
  requested: Record<string, unknown>;
  /** Signed certification JWTs (IG §3.3), when the site requires them. */
  certifications?: readonly string[];
}

export interface UdapRegistrationResult {
  clientId: string;
  httpStatus: number;
  granted: Record<string, unknown>;
  differences: MetadataDifference[];
  /** IG §3.4: a response whose grant_types is empty confirms a cancellation. */
  cancelled: boolean;
}

const responseSchema = z.looseObject({
  client_id: z.string().min(1).max(512),
  grant_types: z.array(z.string()).optional(),
});

/** Members of a UDAP registration response that are not client metadata. */
const NON_METADATA = new Set(['client_id', 'software_statement', 'client_id_issued_at', 'udap', 'certifications']);
/** Statement claims that are not client metadata either. */
const STATEMENT_ONLY = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'jti']);

/**
 * POSTs `{software_statement, certifications?, udap: "1"}` (IG §3.2 "Request Body"). A new
 * registration answers 201, a modification with the same client_id 200 (IG §3.4); both are
 * success. Errors are RFC 7591 / UDAP DCR §5.2 documents (`invalid_software_statement`,
 * `unapproved_software_statement`, `invalid_client_metadata`): permanent, like RFC 7591.
 */
export async function registerUdap(
  http: SafeHttpClient,
  request: UdapRegisterRequest,
): Promise<UdapRegistrationResult> {
  const body = {
    software_statement: request.softwareStatement,
    ...(request.certifications?.length && { certifications: [...request.certifications] }),
    udap: '1',
  };
  const response = await send('register', () =>
    http.request({ method: 'POST', url: request.registrationEndpoint, json: body }),
  );
  if (!response.ok) throw errorFromResponse('register', response);
  let document: unknown;
  try {
    document = response.json();
  } catch {
    throw new SmartClientError('register', {
      error: 'invalid_response',
      errorDescription: 'the registration response is not JSON',
      httpStatus: response.status,
      retryable: false,
      outcomeUnknown: true,
    });
  }
  const parsed = responseSchema.safeParse(document);
  if (!parsed.success) {
    throw new SmartClientError('register', {
      error: 'invalid_response',
      errorDescription: 'the registration response has no client_id',
      httpStatus: response.status,
      retryable: false,
      outcomeUnknown: true,
    });
  }
  const granted = Object.fromEntries(Object.entries(parsed.data).filter(([key]) => !NON_METADATA.has(key)));
  const requested = Object.fromEntries(Object.entries(request.requested).filter(([key]) => !STATEMENT_ONLY.has(key)));
  return {
    clientId: parsed.data.client_id,
    httpStatus: response.status,
    granted,
    differences: diffMetadata(requested, granted),
    cancelled: Array.isArray(parsed.data.grant_types) && parsed.data.grant_types.length === 0,
  };
}
