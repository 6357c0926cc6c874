import type { z } from 'zod';
import { toFieldProblems } from '#domain';
import { errorFromResponse, send, SmartClientError } from '../errors.js';
import type { SafeHttpClient, SafeHttpResponse } from '../http/safe-http.js';
import { freshnessLifetime } from './cache-control.js';
import { mergeDiscoveryDocuments, type DiscoveredDocuments, type SmartServerDescription } from './description.js';
import {
  authorizationServerMetadataSchema,
  capabilityStatementSchema,
  oauthUris,
  smartConfigurationSchema,
} from './schemas.js';

/**
 * Finds where a health system registers clients, from its FHIR base URL:
 * 1. `{fhirBase}/.well-known/smart-configuration` (SMART App Launch 2.x);
 * 2. when it names an issuer: `{issuer}/.well-known/openid-configuration` (OpenID Connect
 *    Discovery) and `{origin}/.well-known/oauth-authorization-server{path}` (RFC 8414 §3.1),
 *    both optional;
 * 3. when no registration endpoint is known yet: `{fhirBase}/metadata`, the CapabilityStatement's
 *    `oauth-uris` extension (SMART 1.0 servers; some only offer this). It comes last because
 *    large EHRs serve CapabilityStatements of several megabytes.
 * A missing document (404 or another permanent 4xx) is skipped; a transient failure (429, 5xx,
 * timeout, network) fails the whole run as retryable, so a partial description is never cached.
 */

export interface SmartDiscoveryOptions {
  http: SafeHttpClient;
  /** Lifetime of a description when the server sends no Cache-Control (BrokerConfig.discovery.ttlSeconds). */
  defaultTtlSeconds: number;
  /** Upper bound for a server-given lifetime. Default one day. */
  maxTtlSeconds?: number;
  /** Cap for the JSON well-known documents. Default 256 KiB; the CapabilityStatement uses the client's cap. */
  maxDocumentBytes?: number;
  now?: () => Date;
}

export interface SmartDiscovery {
  discover(fhirBaseUrl: string): Promise<SmartServerDescription>;
}

/** `https://ehr.example/fhir` for `https://ehr.example/fhir/` (no trailing slash, query or fragment). */
export function normalizeFhirBaseUrl(fhirBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(fhirBaseUrl);
  } catch {
    throw new SmartClientError('discovery', {
      error: 'invalid_discovery_document',
      errorDescription: 'the FHIR base URL is not an absolute URL',
      retryable: false,
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

type Fetched<T> = { document: T; response: SafeHttpResponse } | undefined;

export function createSmartDiscovery(options: SmartDiscoveryOptions): SmartDiscovery {
  const { http } = options;
  const maxDocumentBytes = options.maxDocumentBytes ?? 256 * 1024;
  const maxTtlSeconds = options.maxTtlSeconds ?? 86_400;
  const now = options.now ?? (() => new Date());

  async function fetchDocument<S extends z.ZodType>(
    url: string,
    schema: S,
    what: string,
    request: { maxBytes?: number; accept?: string } = { maxBytes: maxDocumentBytes },
  ): Promise<Fetched<z.output<S>>> {
    const response = await send('discovery', () =>
      http.request({
        url,
        maxBytes: request.maxBytes,
        headers: request.accept ? { accept: request.accept } : undefined,
      }),
    );
    if (!response.ok) {
      const failure = errorFromResponse('discovery', response);
      if (failure.retryable) throw failure;
      return undefined;
    }
    let body: unknown;
    try {
      body = response.json();
    } catch {
      throw invalidDocument(`${what} at ${url} is not JSON`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const problems = toFieldProblems(parsed.error.issues).map((problem) => `${problem.path}: ${problem.message}`);
      throw invalidDocument(`${what} at ${url} is invalid: ${problems.slice(0, 5).join('; ')}`);
    }
    return { document: parsed.data, response };
  }

  async function discover(fhirBaseUrl: string): Promise<SmartServerDescription> {
    const base = normalizeFhirBaseUrl(fhirBaseUrl);
    const fetchedAt = now();
    const documents: DiscoveredDocuments = {};

    const smart = await fetchDocument(
      `${base}/.well-known/smart-configuration`,
      smartConfigurationSchema,
      'smart-configuration',
    );
    documents.smartConfiguration = smart?.document;
    let primary = smart?.response;

    const issuer = smart?.document.issuer;
    if (issuer) {
      const verdict = http.policy.checkUrl(issuer);
      if (!verdict.allowed) {
        throw invalidDocument(`issuer "${issuer}" is refused by the outbound policy: ${verdict.detail}`);
      }
      const [openid, rfc8414] = await Promise.all([
        fetchDocument(openidConfigurationUrl(issuer), authorizationServerMetadataSchema, 'openid-configuration'),
        fetchDocument(authorizationServerMetadataUrl(issuer), authorizationServerMetadataSchema, 'RFC 8414 metadata'),
      ]);
      documents.openid = openid?.document;
      documents.rfc8414 = rfc8414?.document;
    }

    const knowsRegistration = [documents.smartConfiguration, documents.openid, documents.rfc8414].some(
      (document) => document?.registration_endpoint,
    );
    const warnings: string[] = [];
    if (!knowsRegistration) {
      try {
        const statement = await fetchDocument(`${base}/metadata`, capabilityStatementSchema, 'CapabilityStatement', {
          accept: 'application/fhir+json, application/json;q=0.9',
        });
        if (statement && Object.keys(oauthUris(statement.document)).length) {
          documents.capabilityStatement = statement.document;
          primary ??= statement.response;
        }
      } catch (error) {
        // The smart-configuration already describes the server; a broken legacy document
        // (often an oversized one) must not hide it.
        if (!smart || !(error instanceof SmartClientError) || error.retryable) throw error;
        warnings.push(`CapabilityStatement ignored: ${error.errorDescription ?? error.error}`);
      }
    }

    if (!documents.smartConfiguration && !documents.capabilityStatement) {
      throw new SmartClientError('discovery', {
        error: 'no_discovery_document',
        errorDescription: `no smart-configuration and no CapabilityStatement with SMART oauth-uris at ${base}`,
        retryable: false,
      });
    }

    const serverTtl = freshnessLifetime(primary?.headers['cache-control']);
    const ttlSeconds = Math.min(serverTtl ?? options.defaultTtlSeconds, maxTtlSeconds);
    const description = mergeDiscoveryDocuments(base, documents, http.policy, { fetchedAt, ttlSeconds });
    description.warnings.push(...warnings);
    return description;
  }

  return { discover };
}

function invalidDocument(description: string): SmartClientError {
  return new SmartClientError('discovery', {
    error: 'invalid_discovery_document',
    errorDescription: description,
    retryable: false,
  });
}

/** OpenID Connect Discovery §4: the issuer plus `/.well-known/openid-configuration`. */
export function openidConfigurationUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** RFC 8414 §3.1: the well-known segment goes between the origin and the issuer's path. */
export function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  return `${url.origin}/.well-known/oauth-authorization-server${url.pathname.replace(/\/+$/, '')}`;
}
