import type { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { errorFromResponse, send, SmartClientError } from '../errors.js';
import type { SafeHttpClient } from '../http/safe-http.js';
import { normalizeFhirBaseUrl } from '../discovery/discover.js';
import { uriSubjectAltNames } from './x509.js';
import { verifyX5cJwt, X5cJwtError } from './x5c-jwt.js';

/**
 * UDAP discovery: `GET {baseURL}/.well-known/udap` (HL7 UDAP Security IG §2.1), the metadata of
 * §2.2, and the `signed_metadata` JWT of §2.3, validated as UDAP Server Metadata §3 requires.
 */

const MAX_URL = 2048;
const url = z.string().min(1).max(MAX_URL);
const strings = z.array(z.string().max(512)).max(200);

/** IG §2.2 "Required UDAP Metadata": liberal in what it reads (unknown members are kept out). */
export const udapMetadataSchema = z.looseObject({
  udap_versions_supported: strings,
  udap_profiles_supported: strings,
  udap_authorization_extensions_supported: strings.optional(),
  udap_authorization_extensions_required: strings.optional(),
  udap_certifications_supported: strings.optional(),
  udap_certifications_required: strings.optional(),
  grant_types_supported: strings.optional(),
  scopes_supported: strings.optional(),
  authorization_endpoint: url.optional(),
  token_endpoint: url.optional(),
  token_endpoint_auth_methods_supported: strings.optional(),
  token_endpoint_auth_signing_alg_values_supported: strings.optional(),
  registration_endpoint: url.optional(),
  registration_endpoint_jwt_signing_alg_values_supported: strings.optional(),
  signed_metadata: z.string().min(1).max(65_536),
});

/** What the broker keeps of a site's validated UDAP metadata (no secret in it). */
export interface UdapServerDescription {
  fhirBaseUrl: string;
  /** The `community` parameter sent, if any (IG §2.4). */
  community?: string;
  /** From the signed metadata, which wins over the plain JSON values (IG §2.3). */
  endpoints: { registration: string; token: string; authorization?: string };
  versions: string[];
  profiles: string[];
  authorizationExtensionsSupported: string[];
  authorizationExtensionsRequired: string[];
  certificationsSupported: string[];
  certificationsRequired: string[];
  grantTypes: string[];
  scopes?: string[];
  tokenSigningAlgs: string[];
  registrationSigningAlgs: string[];
  /** The server certificate that signed the metadata. */
  signedBy: { subject: string; uriSubjectAltNames: string[]; notAfter: string };
  signedMetadataExpiresAt: string;
  fetchedAt: string;
}

export interface UdapDiscoveryRequest {
  fhirBaseUrl: string;
  /** The trust community URI to name with `?community=` (IG §2.4). */
  community?: string;
  /** The community's trust anchors: the metadata signer must chain to one (IG §7.1.6). */
  trustAnchors: readonly X509Certificate[];
  now?: Date;
}

/** The IG's ceiling on a signed metadata JWT's lifetime (§2.3: exp no more than 1 year after iat). */
const MAX_SIGNED_METADATA_LIFETIME_SECONDS = 366 * 24 * 3600;
const CLOCK_SKEW_SECONDS = 60;

function invalid(description: string, httpStatus?: number): SmartClientError {
  return new SmartClientError('discovery', {
    error: 'udap_metadata_invalid',
    errorDescription: description,
    httpStatus,
    retryable: false,
  });
}

/**
 * Fetches and validates a site's UDAP metadata. Throws a `SmartClientError` with
 * `udap_not_supported` (404, or 204 for the community: IG §2.1, §2.4), `udap_metadata_invalid`
 * (permanent: the site is not registered with, and the reason says why), or a transport error.
 */
export async function discoverUdap(
  http: SafeHttpClient,
  request: UdapDiscoveryRequest,
): Promise<UdapServerDescription> {
  const base = normalizeFhirBaseUrl(request.fhirBaseUrl);
  const target = new URL(`${base}/.well-known/udap`);
  if (request.community) target.searchParams.set('community', request.community);
  const response = await send('discovery', () =>
    http.request({ url: target, headers: { accept: 'application/json' } }),
  );
  if (response.status === 404 || response.status === 204) {
    throw new SmartClientError('discovery', {
      error: 'udap_not_supported',
      errorDescription:
        response.status === 404
          ? 'the site publishes no UDAP metadata (404: no UDAP workflows, IG §2.1)'
          : 'the site supports no UDAP workflow for this trust community (204, IG §2.4)',
      httpStatus: response.status,
      retryable: false,
    });
  }
  if (!response.ok) throw errorFromResponse('discovery', response);
  let document: unknown;
  try {
    document = response.json();
  } catch {
    throw invalid('the UDAP metadata is not JSON', response.status);
  }
  const parsed = udapMetadataSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw invalid(`the UDAP metadata breaks IG §2.2: ${problems.join('; ')}`, response.status);
  }
  const metadata = parsed.data;
  if (!metadata.udap_versions_supported.includes('1')) {
    throw invalid('udap_versions_supported does not include "1" (IG §2.2)');
  }

  const now = request.now ?? new Date();
  let verified: Awaited<ReturnType<typeof verifyX5cJwt>>;
  try {
    // IG §2.3: the signed metadata SHALL be signed with RS256.
    verified = await verifyX5cJwt(metadata.signed_metadata, request.trustAnchors, { algorithms: ['RS256'], now });
  } catch (error) {
    if (error instanceof X5cJwtError) throw invalid(`signed_metadata: ${error.reason}`);
    throw error;
  }
  const claims = verified.payload;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  // IG §2.3: iss = sub = the server's {baseURL}, and a uniformResourceIdentifier SAN of the signer.
  // IG §7.1.5: URIs compare as plain strings; only a trailing slash of the configured base is forgiven.
  const acceptedIssuers = new Set([base, `${base}/`, request.fhirBaseUrl]);
  if (typeof claims.iss !== 'string' || !acceptedIssuers.has(claims.iss)) {
    throw invalid(`signed_metadata iss ${JSON.stringify(claims.iss)} is not the FHIR base URL ${base} (IG §2.3)`);
  }
  if (claims.sub !== claims.iss) throw invalid('signed_metadata sub differs from iss (IG §2.3)');
  if (!uriSubjectAltNames(verified.leaf).includes(claims.iss)) {
    throw invalid('signed_metadata iss is not a uniformResourceIdentifier SAN of the signing certificate (IG §2.3)');
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    throw invalid('signed_metadata lacks exp or iat (IG §2.3)');
  }
  if (claims.exp <= nowSeconds - CLOCK_SKEW_SECONDS) throw invalid('signed_metadata has expired (exp)');
  if (claims.iat > nowSeconds + CLOCK_SKEW_SECONDS) throw invalid('signed_metadata iat is in the future');
  if (claims.exp - claims.iat > MAX_SIGNED_METADATA_LIFETIME_SECONDS) {
    throw invalid('signed_metadata exp is more than 1 year after iat (IG §2.3)');
  }
  if (typeof claims.jti !== 'string' || !claims.jti) throw invalid('signed_metadata lacks jti (IG §2.3)');
  const signedUrl = (name: string): string | undefined => {
    const value = claims[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > MAX_URL) throw invalid(`signed_metadata ${name} is not a URL`);
    return value;
  };
  // IG §2.3: values in the signed metadata take precedence over the plain JSON ones.
  const registration = signedUrl('registration_endpoint');
  const token = signedUrl('token_endpoint');
  const authorization = signedUrl('authorization_endpoint') ?? metadata.authorization_endpoint;
  if (!registration) throw invalid('signed_metadata lacks registration_endpoint (IG §2.3)');
  if (!token) throw invalid('signed_metadata lacks token_endpoint (IG §2.3)');
  if (metadata.authorization_endpoint && !signedUrl('authorization_endpoint')) {
    throw invalid('signed_metadata lacks the authorization_endpoint the plain metadata lists (IG §2.3)');
  }
  for (const endpoint of [registration, token, authorization]) {
    if (!endpoint) continue;
    const verdict = http.policy.checkUrl(endpoint);
    if (!verdict.allowed)
      throw invalid(`an endpoint of the UDAP metadata is refused by the outbound policy: ${verdict.detail}`);
  }

  const extensionsSupported = metadata.udap_authorization_extensions_supported ?? [];
  return {
    fhirBaseUrl: base,
    community: request.community,
    endpoints: { registration, token, ...(authorization && { authorization }) },
    versions: metadata.udap_versions_supported,
    profiles: metadata.udap_profiles_supported,
    authorizationExtensionsSupported: extensionsSupported,
    // IG §2.2: required extensions are a subset of the supported ones; others are ignored.
    authorizationExtensionsRequired: (metadata.udap_authorization_extensions_required ?? []).filter((e) =>
      extensionsSupported.includes(e),
    ),
    certificationsSupported: metadata.udap_certifications_supported ?? [],
    certificationsRequired: metadata.udap_certifications_required ?? [],
    grantTypes: metadata.grant_types_supported ?? [],
    ...(metadata.scopes_supported && { scopes: metadata.scopes_supported }),
    tokenSigningAlgs: metadata.token_endpoint_auth_signing_alg_values_supported ?? ['RS256'],
    registrationSigningAlgs: metadata.registration_endpoint_jwt_signing_alg_values_supported ?? ['RS256'],
    signedBy: {
      subject: verified.signer.subject,
      uriSubjectAltNames: verified.signer.uriSubjectAltNames,
      notAfter: verified.signer.notAfter.toISOString(),
    },
    signedMetadataExpiresAt: new Date(claims.exp * 1000).toISOString(),
    fetchedAt: now.toISOString(),
  };
}
