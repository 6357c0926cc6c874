import type { IncomingHttpHeaders } from 'node:http';
import type { BlockedRule } from './address-policy.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * Failures of the safe HTTP client. Messages name the destination as origin + path only
 * (no query, no user-info) and never contain request headers or bodies, which carry
 * initial access tokens, registration access tokens and client secrets.
 */
export type OutboundErrorKind =
  'blocked' | 'timeout' | 'too_large' | 'bad_json' | 'http_status' | 'network' | 'redirect';

/** `https://host/path` of a URL, without query, fragment or user-info. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export abstract class OutboundError extends Error {
  abstract readonly kind: OutboundErrorKind;
  /** Whether the same request may succeed later. */
  abstract readonly retryable: boolean;
  /** Origin + path of the request that failed. */
  readonly url: string;

  protected constructor(message: string, url: string | URL) {
    super(message);
    this.url = redactUrl(url);
    this.name = new.target.name;
  }
}

export class OutboundBlockedError extends OutboundError {
  readonly kind = 'blocked';
  readonly retryable = false;

  constructor(
    url: string | URL,
    readonly rule: BlockedRule,
    detail: string,
  ) {
    // The operator's way out is named: a development site on loopback or a private network is
    // allowed by listing its host:port in OUTBOUND_ALLOWED_HOSTS.
    super(
      `outbound request to ${redactUrl(url)} blocked (${rule}): ${detail}; a host you trust can be allowed with OUTBOUND_ALLOWED_HOSTS=host:port`,
      url,
    );
  }
}

/** `connect`: DNS + TCP + TLS; `headers`: waiting for the response head; `total`: the whole exchange. */
export type TimeoutPhase = 'connect' | 'headers' | 'total';

export class OutboundTimeoutError extends OutboundError {
  readonly kind = 'timeout';
  readonly retryable = true;

  constructor(
    url: string | URL,
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
  ) {
    super(`outbound request to ${redactUrl(url)} timed out (${phase}, ${timeoutMs} ms)`, url);
  }
}

export class ResponseTooLargeError extends OutboundError {
  readonly kind = 'too_large';
  readonly retryable = false;

  constructor(
    url: string | URL,
    readonly limitBytes: number,
  ) {
    super(`response from ${redactUrl(url)} exceeds ${limitBytes} bytes`, url);
  }
}

export class BadJsonError extends OutboundError {
  readonly kind = 'bad_json';
  readonly retryable = false;

  constructor(url: string | URL, reason: string) {
    super(`response from ${redactUrl(url)} is not valid JSON: ${reason}`, url);
  }
}

const EXCERPT_CHARS = 300;

export class HttpStatusError extends OutboundError {
  readonly kind = 'http_status';
  readonly retryable: boolean;
  /** Delay asked for by `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The start of the response body, for operators; the response, never the request. */
  readonly bodyExcerpt: string;

  constructor(
    url: string | URL,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    body: Buffer,
  ) {
    super(`${redactUrl(url)} answered HTTP ${status}`, url);
    this.retryable = isRetryableStatus(status);
    this.retryAfterMs = parseRetryAfter(headers['retry-after']);
    this.bodyExcerpt = body
      .subarray(0, EXCERPT_CHARS * 4)
      .toString('utf8')
      .slice(0, EXCERPT_CHARS);
  }
}

/** Node error codes meaning the request never reached the server: safe to resend anything. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class OutboundNetworkError extends OutboundError {
  readonly kind = 'network';
  readonly retryable = true;

  constructor(
    url: string | URL,
    /** The Node error code (`ECONNREFUSED`, `ECONNRESET`, `CERT_HAS_EXPIRED`, ...). */
    readonly code: string | undefined,
  ) {
    super(`outbound request to ${redactUrl(url)} failed: ${code ?? 'network error'}`, url);
  }

  /** False when the server cannot have received the request (refused, unresolvable). */
  get mayHaveReachedServer(): boolean {
    return !this.code || !NOT_SENT_CODES.has(this.code);
  }
}

export class RedirectError extends OutboundError {
  readonly kind = 'redirect';
  readonly retryable = false;

  constructor(
    url: string | URL,
    readonly reason: 'too_many' | 'missing_location',
    detail: string,
  ) {
    super(`redirect from ${redactUrl(url)} refused: ${detail}`, url);
  }
}

/**
 * 408 Request Timeout, 425 Too Early, 429 Too Many Requests and 5xx may succeed later;
 * 501 Not Implemented will not (e.g. an RFC 7592 method the server lacks).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status !== 501);
}
