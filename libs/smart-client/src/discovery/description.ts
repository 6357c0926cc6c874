import type { AddressPolicy } from '../http/address-policy.js';
import { SmartClientError } from '../errors.js';
import {
  oauthUris,
  type AuthorizationServerMetadata,
  type CapabilityStatement,
  type SmartConfiguration,
} from './schemas.js';

/** Where a discovered value came from, in order of precedence. */
export const DISCOVERY_SOURCES = ['smart-configuration', 'openid', 'rfc8414', 'capability-statement'] as const;
export type DiscoverySource = (typeof DISCOVERY_SOURCES)[number];

export type EndpointName =
  | 'authorization'
  | 'token'
  | 'registration'
  /** SMART's user-facing "manage your authorized apps" page; NOT the RFC 7592 endpoint. */
  | 'management'
  | 'jwks'
  | 'introspection'
  | 'revocation';

export type SupportedList =
  | 'tokenEndpointAuthMethods'
  | 'tokenEndpointAuthSigningAlgs'
  | 'grantTypes'
  | 'scopes'
  | 'responseTypes'
  | 'codeChallengeMethods';

export interface Sourced<T> {
  value: T;
  source: DiscoverySource;
}

/** What one health system's authorization server offers, merged from its discovery documents. */
export interface SmartServerDescription {
  fhirBaseUrl: string;
  issuer?: Sourced<string>;
  endpoints: Partial<Record<EndpointName, Sourced<string>>>;
  supported: Partial<Record<SupportedList, Sourced<string[]>>>;
  capabilities?: Sourced<string[]>;
  /** An RFC 7591 registration endpoint is advertised. */
  registrationSupported: boolean;
  /**
   * RFC 7592 support cannot be read from discovery (SMART's `management_endpoint` and the
   * oauth-uris `manage` are user-facing pages): `false` when the server cannot register at
   * all, otherwise undefined, and the registration response decides (`RegistrationResult.management`).
   */
  managementSupported?: false;
  /** The documents that were found. */
  sources: DiscoverySource[];
  /** Non-fatal oddities (sources disagreeing, `plain` PKCE advertised), for operators. */
  warnings: string[];
  /** ISO 8601. */
  fetchedAt: string;
  /** ISO 8601; equal to `fetchedAt` when the server forbids caching. */
  expiresAt: string;
}

/** The documents one discovery run found, already schema-validated. */
export interface DiscoveredDocuments {
  smartConfiguration?: SmartConfiguration;
  openid?: AuthorizationServerMetadata;
  rfc8414?: AuthorizationServerMetadata;
  capabilityStatement?: CapabilityStatement;
}

interface Facts {
  issuer?: string;
  endpoints: Partial<Record<EndpointName, string>>;
  supported: Partial<Record<SupportedList, string[]>>;
  capabilities?: string[];
}

function authorizationServerFacts(doc: SmartConfiguration | AuthorizationServerMetadata): Facts {
  return {
    issuer: doc.issuer,
    endpoints: {
      authorization: doc.authorization_endpoint,
      token: doc.token_endpoint,
      registration: doc.registration_endpoint,
      management: 'management_endpoint' in doc ? (doc.management_endpoint as string | undefined) : undefined,
      jwks: doc.jwks_uri,
      introspection: doc.introspection_endpoint,
      revocation: doc.revocation_endpoint,
    },
    supported: {
      tokenEndpointAuthMethods: doc.token_endpoint_auth_methods_supported,
      tokenEndpointAuthSigningAlgs: doc.token_endpoint_auth_signing_alg_values_supported,
      grantTypes: doc.grant_types_supported,
      scopes: doc.scopes_supported,
      responseTypes: doc.response_types_supported,
      codeChallengeMethods: doc.code_challenge_methods_supported,
    },
    capabilities: 'capabilities' in doc ? (doc.capabilities as string[]) : undefined,
  };
}

function capabilityStatementFacts(statement: CapabilityStatement): Facts {
  const uris = oauthUris(statement);
  return {
    endpoints: {
      authorization: uris.authorize,
      token: uris.token,
      registration: uris.register,
      management: uris.manage,
    },
    supported: {},
  };
}

function invalid(description: string): SmartClientError {
  return new SmartClientError('discovery', {
    error: 'invalid_discovery_document',
    errorDescription: description,
    retryable: false,
  });
}

const FIELD_NAMES: Record<EndpointName, string> = {
  authorization: 'authorization_endpoint',
  token: 'token_endpoint',
  registration: 'registration_endpoint',
  management: 'management_endpoint',
  jwks: 'jwks_uri',
  introspection: 'introspection_endpoint',
  revocation: 'revocation_endpoint',
};

/**
 * Merges the documents into one description. Earlier sources win (`DISCOVERY_SOURCES`);
 * a disagreement between sources is a warning. Rejected with a precise reason:
 * - an OpenID / RFC 8414 `issuer` that differs from the SMART issuer they were fetched for
 *   (OpenID Connect Discovery §4.3, RFC 8414 §3.3: prevents metadata impersonation);
 * - an issuer or endpoint the outbound policy refuses (not https and not allow-listed,
 *   an internal IP literal, user-info);
 * - `code_challenge_methods_supported` without S256 (SMART App Launch 2.x requires S256).
 */
export function mergeDiscoveryDocuments(
  fhirBaseUrl: string,
  documents: DiscoveredDocuments,
  policy: AddressPolicy,
  timing: { fetchedAt: Date; ttlSeconds: number },
): SmartServerDescription {
  const found: [DiscoverySource, Facts][] = [];
  if (documents.smartConfiguration) {
    found.push(['smart-configuration', authorizationServerFacts(documents.smartConfiguration)]);
  }
  const expectedIssuer = documents.smartConfiguration?.issuer;
  for (const [source, doc] of [
    ['openid', documents.openid],
    ['rfc8414', documents.rfc8414],
  ] as const) {
    if (!doc) continue;
    if (doc.issuer !== expectedIssuer) {
      throw invalid(
        `issuer "${doc.issuer}" in the ${source} document differs from the SMART issuer "${expectedIssuer}"`,
      );
    }
    found.push([source, authorizationServerFacts(doc)]);
  }
  if (documents.capabilityStatement) {
    found.push(['capability-statement', capabilityStatementFacts(documents.capabilityStatement)]);
  }

  const warnings: string[] = [];
  function pick<T>(field: string, read: (facts: Facts) => T | undefined): Sourced<T> | undefined {
    let chosen: Sourced<T> | undefined;
    for (const [source, facts] of found) {
      const value = read(facts);
      if (value === undefined) continue;
      if (!chosen) chosen = { value, source };
      else if (JSON.stringify(chosen.value) !== JSON.stringify(value)) {
        warnings.push(`${field}: ${source} differs from ${chosen.source}; using ${chosen.source}`);
      }
    }
    return chosen;
  }

  const issuer = pick('issuer', (facts) => facts.issuer);
  if (issuer) assertReachable('issuer', issuer, policy);

  const endpoints: SmartServerDescription['endpoints'] = {};
  for (const name of Object.keys(FIELD_NAMES) as EndpointName[]) {
    const endpoint = pick(FIELD_NAMES[name], (facts) => facts.endpoints[name]);
    if (!endpoint) continue;
    assertReachable(FIELD_NAMES[name], endpoint, policy);
    endpoints[name] = endpoint;
  }

  const supported: SmartServerDescription['supported'] = {};
  const listNames: SupportedList[] = [
    'tokenEndpointAuthMethods',
    'tokenEndpointAuthSigningAlgs',
    'grantTypes',
    'scopes',
    'responseTypes',
    'codeChallengeMethods',
  ];
  for (const name of listNames) {
    const value = pick(name, (facts) => facts.supported[name]);
    if (value) supported[name] = value;
  }

  const pkce = supported.codeChallengeMethods;
  if (pkce && !pkce.value.includes('S256')) {
    throw invalid(`code_challenge_methods_supported (${pkce.source}) lacks S256, which SMART requires`);
  }
  if (pkce?.value.includes('plain'))
    warnings.push('code_challenge_methods_supported offers "plain", which SMART forbids');

  const capabilities = pick('capabilities', (facts) => facts.capabilities);
  const registrationSupported = endpoints.registration !== undefined;
  return {
    fhirBaseUrl,
    ...(issuer && { issuer }),
    endpoints,
    supported,
    ...(capabilities && { capabilities }),
    registrationSupported,
    ...(!registrationSupported && { managementSupported: false as const }),
    sources: found.map(([source]) => source),
    warnings,
    fetchedAt: timing.fetchedAt.toISOString(),
    expiresAt: new Date(timing.fetchedAt.getTime() + timing.ttlSeconds * 1000).toISOString(),
  };
}

function assertReachable(field: string, value: Sourced<string>, policy: AddressPolicy): void {
  const verdict = policy.checkUrl(value.value);
  if (!verdict.allowed) {
    throw invalid(`${field} "${value.value}" (${value.source}) is refused by the outbound policy: ${verdict.detail}`);
  }
}
