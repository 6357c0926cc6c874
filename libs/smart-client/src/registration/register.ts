import { z } from 'zod';
import { SecretValue, toFieldProblems } from '#domain';
import { errorFromResponse, send, SmartClientError } from '../errors.js';
import type { SafeHttpClient } from '../http/safe-http.js';
import { diffMetadata, NON_METADATA_FIELDS, type MetadataDifference } from './diff-metadata.js';
import { canonicalMetadata, normaliseClientDocument } from './normalise.js';

/** RFC 7591 §3: dynamic client registration. */

export interface RegisterRequest {
  registrationEndpoint: string;
  /** The client metadata to ask for (RFC 7591 §2), e.g. a domain `ClientMetadata`. */
  metadata: Readonly<Record<string, unknown>>;
  /** RFC 7591 §3: sent as a Bearer token when the server requires one. */
  initialAccessToken?: SecretValue;
  /** RFC 7591 §2.3: a signed JWT asserting the metadata, issued by the software publisher. */
  softwareStatement?: string;
}

/** What RFC 7592 management of one client needs. */
export interface ManagementAccess {
  registrationClientUri: string;
  registrationAccessToken: SecretValue;
}

export interface RegistrationResult {
  clientId: string;
  clientSecret?: SecretValue;
  /** Seconds since the epoch. */
  clientIdIssuedAt?: number;
  /** Seconds since the epoch; 0 means the secret never expires. Set whenever a secret is. */
  clientSecretExpiresAt?: number;
  /** Present when the server supports RFC 7592 for this client (both members returned). */
  management?: ManagementAccess;
  /** The registered metadata, without credentials. */
  granted: Record<string, unknown>;
  /** Requested vs granted (see `diffMetadata`). */
  differences: MetadataDifference[];
  /** Members the site answered that no RFC defines (kept aside, never compared or sent back). */
  extras: Record<string, unknown>;
  httpStatus: number;
}

const MAX_TOKEN = 8192;

/** RFC 7591 §3.2.1 client information response (plus RFC 7592 §3 members). */
export const clientInformationSchema = z.looseObject({
  client_id: z.string().min(1).max(512),
  client_secret: z.string().min(1).max(MAX_TOKEN).optional(),
  client_id_issued_at: z.number().int().nonnegative().optional(),
  client_secret_expires_at: z.number().int().nonnegative().optional(),
  registration_access_token: z.string().min(1).max(MAX_TOKEN).optional(),
  registration_client_uri: z.string().min(1).max(2048).optional(),
});
export type ClientInformation = z.output<typeof clientInformationSchema> & {
  /** Members no RFC defines, kept aside by the normaliser. */
  extras: Record<string, unknown>;
};

/** Registered metadata without credentials and bookkeeping members. */
export function metadataOf(information: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(information).filter(([field]) => !NON_METADATA_FIELDS.has(field) && field !== 'extras'),
  );
}

/**
 * Parses a 2xx registration or management answer. An unusable one is a permanent error with
 * `outcomeUnknown` (the server did create or change something) and, if readable, the client_id,
 * so the caller can report a possibly orphaned client. Secrets are never put in the error.
 */
export function parseClientInformation(
  operation: 'register' | 'read' | 'update',
  body: () => unknown,
  httpStatus: number,
  knownClientId?: string,
): ClientInformation {
  let raw: unknown;
  try {
    raw = body();
  } catch {
    throw invalidResponse(operation, 'the response body is not JSON', httpStatus);
  }
  // Every shape variation (one-element arrays, "" / [] for absent, numeric strings) becomes the
  // RFC shape before anything is checked; unknown members are kept aside.
  const { document, extras } = normaliseClientDocument(raw);
  // RFC 7592 §3 answers carry client_id; a thin management answer that omits it still describes
  // the client it was asked about.
  if (operation !== 'register' && document.client_id === undefined && knownClientId) document.client_id = knownClientId;
  const parsed = clientInformationSchema.safeParse(document);
  if (!parsed.success) {
    const problems = toFieldProblems(parsed.error.issues).map((problem) => `${problem.path} ${problem.message}`);
    const clientId = (document as { client_id?: unknown } | null)?.client_id;
    throw invalidResponse(operation, problems.slice(0, 5).join('; '), httpStatus, clientId);
  }
  const information: ClientInformation = { ...parsed.data, extras };
  // RFC 7591 §3.2.1's "REQUIRED when a secret is issued" is a rule for the registration answer;
  // on read/update a missing expiry means "unchanged / unknown".
  if (
    operation === 'register' &&
    information.client_secret !== undefined &&
    information.client_secret_expires_at === undefined
  ) {
    throw invalidResponse(
      operation,
      'client_secret_expires_at is REQUIRED when a client_secret is issued (RFC 7591 §3.2.1)',
      httpStatus,
      information.client_id,
    );
  }
  // RFC 7592 §3: a registration response carries both or neither. Later GETs may omit the
  // token while keeping the URI (a server may hand out the token only on create and update).
  const hasToken = information.registration_access_token !== undefined;
  if (operation === 'register' && hasToken !== (information.registration_client_uri !== undefined)) {
    throw invalidResponse(
      operation,
      'registration_access_token and registration_client_uri must come together (RFC 7592 §3)',
      httpStatus,
      information.client_id,
    );
  }
  return information;
}

function invalidResponse(
  operation: 'register' | 'read' | 'update',
  description: string,
  httpStatus: number,
  clientId?: unknown,
) {
  return new SmartClientError(operation, {
    error: 'invalid_response',
    errorDescription: description,
    httpStatus,
    retryable: false,
    outcomeUnknown: true,
    clientId: typeof clientId === 'string' ? clientId.slice(0, 512) : undefined,
  });
}

/**
 * Registers a client. Resolves with the credentials and what was granted, or throws a
 * `SmartClientError` (see `isRetryable` / `retryAfterMs`): permanent for RFC 7591 errors
 * (`invalid_redirect_uri`, `invalid_client_metadata`, `invalid_software_statement`,
 * `unapproved_software_statement`), for 401/403 `invalid_token` (bad initial access token) and
 * any other 4xx; retryable for 408, 425, 429, 5xx, timeouts and network failures.
 */
export async function register(http: SafeHttpClient, request: RegisterRequest): Promise<RegistrationResult> {
  // Exact in what we send: the canonical RFC 7591 shape of what was asked for.
  const requested = canonicalMetadata(request.metadata);
  const body = request.softwareStatement ? { ...requested, software_statement: request.softwareStatement } : requested;
  const response = await send('register', () =>
    http.request({
      method: 'POST',
      url: request.registrationEndpoint,
      json: body,
      bearerToken: request.initialAccessToken,
    }),
  );
  // RFC 7591 §3.2.1 says 201; a few servers answer 200, which is just as successful.
  if (!response.ok) {
    throw withRequirement(
      errorFromResponse('register', response, { sentInitialAccessToken: !!request.initialAccessToken }),
      requested,
    );
  }

  const information = parseClientInformation('register', () => response.json(), response.status);
  const granted = metadataOf(information);
  return {
    clientId: information.client_id,
    ...(information.client_secret !== undefined && {
      clientSecret: new SecretValue(information.client_secret),
      clientSecretExpiresAt: information.client_secret_expires_at,
    }),
    ...(information.client_id_issued_at !== undefined && { clientIdIssuedAt: information.client_id_issued_at }),
    ...(information.registration_access_token !== undefined &&
      information.registration_client_uri !== undefined && {
        management: {
          registrationClientUri: information.registration_client_uri,
          registrationAccessToken: new SecretValue(information.registration_access_token),
        },
      }),
    granted,
    differences: diffMetadata(requested, granted),
    extras: information.extras,
    httpStatus: response.status,
  };
}

/**
 * Requirements a site states only through its errors, turned into what the tenant must add.
 * Seen: servers that demand `redirect_uris` from every client, client_credentials-only ones
 * included (RFC 7591 §2 requires them only for redirect-based grants).
 */
export function withRequirement(
  error: SmartClientError,
  requested: Readonly<Record<string, unknown>>,
): SmartClientError {
  const text = `${error.error} ${error.errorDescription ?? ''}`;
  const hasRedirectUris = Array.isArray(requested.redirect_uris) && requested.redirect_uris.length > 0;
  if (!hasRedirectUris && /redirect_uri/i.test(text)) {
    const grants = Array.isArray(requested.grant_types) ? requested.grant_types.join(', ') : 'the requested grants';
    return new SmartClientError('register', {
      error: error.error,
      errorDescription:
        `the site requires redirect_uris even for a client with ${grants}: add "redirect_uris" ` +
        `(an https URI the app controls) to the app's clientMetadata. Site said: ${error.errorDescription ?? error.error}`,
      httpStatus: error.httpStatus,
      retryable: false,
      outcomeUnknown: error.outcomeUnknown,
      cause: error,
    });
  }
  return error;
}
