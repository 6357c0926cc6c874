import {
  HttpStatusError,
  OutboundError,
  OutboundNetworkError,
  OutboundTimeoutError,
  type OutboundErrorKind,
} from './http/errors.js';
import { parseRetryAfter } from './http/retry-after.js';
import type { SafeHttpResponse } from './http/safe-http.js';

/**
 * One error type for every protocol operation, so the worker handles them alike:
 * `retryable` says whether to try again (after `retryAfterMs` when the server said so),
 * `error` / `errorDescription` / `httpStatus` are what the tenant sees, in RFC 6749 /
 * RFC 7591 terms when the server answered with an OAuth error document.
 */
export type SmartOperation = 'discovery' | 'register' | 'read' | 'update' | 'delete' | 'token';

/** Codes for failures that are not an OAuth error document from the server. */
export type LocalErrorCode =
  | OutboundErrorKind
  | 'invalid_response' // a 2xx whose body breaks the RFC (not JSON, missing client_id, ...)
  | 'invalid_discovery_document'
  | 'no_discovery_document'
  | 'http_error'; // a non-2xx without an OAuth `error` member

export interface SmartClientErrorDetails {
  error: string;
  errorDescription?: string;
  httpStatus?: number;
  retryable: boolean;
  retryAfterMs?: number;
  outcomeUnknown?: boolean;
  /** The client_id of a registration the server did create although its answer was unusable. */
  clientId?: string;
  cause?: unknown;
}

const DESCRIPTION_CHARS = 500;

export class SmartClientError extends Error {
  readonly error: string;
  readonly errorDescription?: string;
  readonly httpStatus?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  /**
   * True when the server may have acted on the request although no usable answer arrived
   * (timeout or reset after sending, unusable 2xx). For `register` this means a client may
   * exist at the site: the caller records a possible orphan.
   */
  readonly outcomeUnknown: boolean;
  readonly clientId?: string;

  constructor(
    readonly operation: SmartOperation,
    details: SmartClientErrorDetails,
  ) {
    const description = details.errorDescription?.slice(0, DESCRIPTION_CHARS);
    const status = details.httpStatus ? ` (HTTP ${details.httpStatus})` : '';
    super(`${operation} failed: ${details.error}${description ? `: ${description}` : ''}${status}`, {
      cause: details.cause,
    });
    this.name = 'SmartClientError';
    this.error = details.error;
    this.errorDescription = description;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
    this.clientId = details.clientId;
  }
}

/** OAuth error codes that announce a transient condition even with a 4xx status. */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'slow_down']);

/**
 * A non-2xx answer as a SmartClientError. RFC 7591 §3.2.2 / RFC 6749 §5.2 error documents
 * are read when present. Classification follows the status: 408, 425, 429 and 5xx (but 501)
 * are retryable; every other 4xx is permanent for the same input, including 401/403
 * `invalid_token` (a bad or expired initial / registration access token).
 */
export function errorFromResponse(
  operation: SmartOperation,
  response: SafeHttpResponse,
  context: ErrorContext = {},
): SmartClientError {
  const status = new HttpStatusError(response.url, response.status, response.headers, response.body);
  const document = oauthErrorDocument(response) ?? wwwAuthenticateError(response.headers['www-authenticate']);
  const error = document?.error ?? 'http_error';
  return new SmartClientError(operation, {
    error,
    errorDescription:
      document?.error_description ??
      describeStatus(operation, response.status, context) ??
      (status.bodyExcerpt || undefined),
    httpStatus: response.status,
    retryable: status.retryable || TRANSIENT_OAUTH_ERRORS.has(document?.error ?? ''),
    retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    // A 5xx may come after the server acted (a gateway timing out on a slow backend).
    outcomeUnknown: response.status >= 500,
    cause: status,
  });
}

/** What the caller sent, so that a bare status can be told in words. */
export interface ErrorContext {
  /** A registration sent with an initial access token. */
  sentInitialAccessToken?: boolean;
}

/**
 * Words for an answer that explains nothing (a 401/403 with an empty body and no
 * WWW-Authenticate, seen at several EHR front ends): what the status means for this operation.
 */
function describeStatus(operation: SmartOperation, httpStatus: number, context: ErrorContext): string | undefined {
  const refused = httpStatus === 401 || httpStatus === 403;
  if (!refused) return undefined;
  const bare = `HTTP ${httpStatus} without an error document`;
  switch (operation) {
    case 'register':
      return context.sentInitialAccessToken
        ? `the site refused the initial access token (${bare})`
        : `the site requires authorization to register: it may need an initial access token (${bare})`;
    case 'read':
    case 'update':
    case 'delete':
      return `the site refused the registration access token (${bare})`;
    case 'token':
      return httpStatus === 401
        ? `the site refused the client credentials (${bare})`
        : `the site refused the token request, most likely the requested scope (${bare})`;
    default:
      return `the site refused the request (${bare})`;
  }
}

/** RFC 6750 §3: `Bearer error="invalid_token", error_description="..."` when the body says nothing. */
function wwwAuthenticateError(header: string | undefined): { error: string; error_description?: string } | undefined {
  if (!header) return undefined;
  const error = /\berror="([^"]{1,100})"/.exec(header)?.[1];
  if (!error) return undefined;
  const description = /\berror_description="([^"]{1,500})"/.exec(header)?.[1];
  return { error, ...(description && { error_description: description }) };
}

/** A transport failure as a SmartClientError, keeping the OutboundError as `cause`. */
export function errorFromOutbound(operation: SmartOperation, error: OutboundError): SmartClientError {
  return new SmartClientError(operation, {
    error: error.kind,
    errorDescription: error.message,
    retryable: error.retryable,
    retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
    outcomeUnknown:
      (error instanceof OutboundTimeoutError && error.phase !== 'connect') ||
      (error instanceof OutboundNetworkError && error.mayHaveReachedServer),
    cause: error,
  });
}

/** Runs a request and turns transport failures into SmartClientErrors. */
export async function send(
  operation: SmartOperation,
  request: () => Promise<SafeHttpResponse>,
): Promise<SafeHttpResponse> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof OutboundError) throw errorFromOutbound(operation, error);
    throw error;
  }
}

function oauthErrorDocument(response: SafeHttpResponse): { error: string; error_description?: string } | undefined {
  try {
    const body = response.json<Record<string, unknown>>();
    if (body && typeof body === 'object' && typeof body.error === 'string') {
      return {
        error: body.error.slice(0, 100),
        error_description: typeof body.error_description === 'string' ? body.error_description : undefined,
      };
    }
  } catch {
    // Not JSON: an HTML error page from a proxy, for instance. The excerpt is kept instead.
  }
  return undefined;
}

/** Whether a failure from this library may succeed if the same request is sent again later. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SmartClientError || error instanceof OutboundError) return error.retryable;
  return false;
}

/** The delay the server asked for (`Retry-After`), in milliseconds, if any. */
export function retryAfterMs(error: unknown): number | undefined {
  if (error instanceof SmartClientError) return error.retryAfterMs;
  if (error instanceof HttpStatusError) return error.retryAfterMs;
  return undefined;
}
