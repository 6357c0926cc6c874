import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { BrokerConfig } from '#config';
import type { SecretValue } from '#domain';
import { createAddressPolicy, type AddressPolicy, type PolicyVerdict } from './address-policy.js';
import {
  BadJsonError,
  OutboundBlockedError,
  OutboundError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RedirectError,
  ResponseTooLargeError,
  type OutboundErrorKind,
} from './errors.js';
import { USER_AGENT } from '../version.js';

/**
 * The one HTTP client for every request the broker sends (discovery, registration,
 * management, token requests, webhooks). Built on node:http/https so that:
 * - the address a host name resolves to is checked inside the socket's own `lookup`, i.e.
 *   at connect time, so DNS rebinding between a check and the connection cannot slip past;
 *   the connected peer address is checked once more when the socket connects;
 * - redirects are followed by hand, each hop re-validated, Authorization dropped when the
 *   origin changes;
 * - connect, response-head and whole-exchange timeouts apply, and the body is counted while
 *   it streams and cut as soon as it exceeds the cap.
 */

export interface OutboundCallEvent {
  /** Host (and port) of the first URL: the health system the call was for. */
  host: string;
  method: string;
  status?: number;
  error?: OutboundErrorKind;
  durationMs: number;
}

export interface SafeHttpOptions {
  /** `host` or `host:port` entries that may use http and resolve to internal addresses. */
  allowedHosts: readonly string[];
  /** Whole-exchange limit (all redirect hops and the body). */
  timeoutMs: number;
  maxResponseBytes: number;
  /** DNS + TCP + TLS. Defaults to the smaller of `timeoutMs` and 5 s. */
  connectTimeoutMs?: number;
  /** Connected until the response head arrives. Defaults to `timeoutMs`. */
  headersTimeoutMs?: number;
  /** Defaults to 5. */
  maxRedirects?: number;
  userAgent?: string;
  /** Called once per request, success or failure; exceptions it throws are ignored. */
  onResponse?: (event: OutboundCallEvent) => void;
  /** Resolver used by the guarded lookup; defaults to `dns.lookup` (tests may inject one). */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface SafeHttpRequest {
  method?: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer ...`; revealed only here, dropped on a cross-origin redirect. */
  bearerToken?: SecretValue;
  body?: string | Buffer;
  /** Serialised as the body with `Content-Type: application/json`. */
  json?: unknown;
  maxBytes?: number;
  timeoutMs?: number;
  /** Default true. Webhook delivery passes false: a 3xx is then returned as is. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface SafeHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
  ok: boolean;
  text(): string;
  /** Parses the body; throws `BadJsonError`. */
  json<T = unknown>(): T;
}

export interface SafeHttpClient {
  request(request: SafeHttpRequest): Promise<SafeHttpResponse>;
  /** The static part of the policy, for URLs the broker will call later (discovery results). */
  readonly policy: AddressPolicy;
  /**
   * The policy's verdict on a URL the broker stores to call later (webhook endpoints), with its
   * host resolved now through the same resolver as connections. Not a substitute for the check
   * at connect time (DNS may change in between): it lets an operator see a refusal at once.
   * Rejects with `OutboundNetworkError` when the host does not resolve.
   */
  checkDestination(url: string | URL): Promise<PolicyVerdict>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface HopResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const defaultResolve = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) => {
    const options: LookupAllOptions = { all: true };
    dnsLookup(hostname, options, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export function createSafeHttpClient(options: SafeHttpOptions): SafeHttpClient {
  const policy = createAddressPolicy(options.allowedHosts);
  const resolve = options.resolve ?? defaultResolve;
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(options.timeoutMs, 5000);
  const maxRedirects = options.maxRedirects ?? 5;
  const userAgent = options.userAgent ?? USER_AGENT;

  function assertAllowed(url: URL): void {
    const verdict = policy.checkUrl(url);
    if (!verdict.allowed) throw new OutboundBlockedError(url, verdict.rule, verdict.detail);
  }

  function firstBlocked(url: URL, addresses: LookupAddress[]): Extract<PolicyVerdict, { allowed: false }> | undefined {
    for (const entry of addresses) {
      const verdict = policy.checkAddress(url, entry.address);
      if (!verdict.allowed) return verdict;
    }
    return undefined;
  }

  async function checkDestination(input: string | URL): Promise<PolicyVerdict> {
    const verdict = policy.checkUrl(input);
    if (!verdict.allowed || verdict.allowListed) return verdict;
    const url = toUrl(input);
    // An IP literal was judged by checkUrl and is never resolved.
    if (isIP(url.hostname.replace(/^\[(.*)\]$/, '$1'))) return verdict;
    let addresses: LookupAddress[];
    try {
      addresses = await resolve(url.hostname);
    } catch (error) {
      throw toOutboundError(url, error as NodeJS.ErrnoException);
    }
    const blocked = firstBlocked(url, addresses);
    return blocked ? { ...blocked, detail: `${url.hostname} resolves to ${blocked.detail}` } : verdict;
  }

  /**
   * A `lookup` for the socket: resolves every address and refuses the connection if any of
   * them is blocked (an answer mixing public and internal addresses is an attack signal).
   */
  function guardedLookup(url: URL): LookupFunction {
    return (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          const blocked = firstBlocked(url, addresses);
          if (blocked) {
            callback(new OutboundBlockedError(url, blocked.rule, `${url.hostname} resolves to ${blocked.detail}`), '');
            return;
          }
          const usable = addresses.filter((entry) => !lookupOptions.family || entry.family === lookupOptions.family);
          if (!usable.length) {
            callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
          } else if (lookupOptions.all) {
            callback(null, usable);
          } else {
            callback(null, usable[0].address, usable[0].family);
          }
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      );
    };
  }

  function sendHop(hop: Hop, limits: { maxBytes: number; readBody: (status: number) => boolean }, signal: AbortSignal) {
    return new Promise<HopResult>((resolvePromise, rejectPromise) => {
      const { url } = hop;
      const transport = url.protocol === 'https:' ? https : http;
      const timers: NodeJS.Timeout[] = [];
      let settled = false;

      const finish = (error: Error | null, result?: HopResult) => {
        if (settled) return;
        settled = true;
        timers.forEach(clearTimeout);
        signal.removeEventListener('abort', onAbort);
        if (error) {
          request.destroy();
          rejectPromise(error);
        } else {
          resolvePromise(result!);
        }
      };
      const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));

      const request = transport.request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: hop.method,
        headers: hop.headers,
        agent: false,
        lookup: guardedLookup(url),
      });

      timers.push(
        setTimeout(() => finish(new OutboundTimeoutError(url, 'connect', connectTimeoutMs)), connectTimeoutMs),
      );
      request.on('socket', (socket: Socket) => {
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
          clearTimeout(timers[0]);
          // Second look at the peer actually connected to (IP literals skip `lookup`).
          const peer = socket.remoteAddress;
          const verdict = peer ? policy.checkAddress(url, peer) : { allowed: true as const };
          if (!verdict.allowed) {
            finish(new OutboundBlockedError(url, verdict.rule, `connected to ${verdict.detail}`));
            return;
          }
          const headersTimeoutMs = options.headersTimeoutMs ?? options.timeoutMs;
          timers.push(
            setTimeout(() => finish(new OutboundTimeoutError(url, 'headers', headersTimeoutMs)), headersTimeoutMs),
          );
        });
      });

      request.on('response', (response: IncomingMessage) => {
        timers.forEach(clearTimeout);
        const status = response.statusCode ?? 0;
        if (!limits.readBody(status)) {
          finish(null, { status, headers: response.headers, body: Buffer.alloc(0) });
          request.destroy();
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > limits.maxBytes) {
          finish(new ResponseTooLargeError(url, limits.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limits.maxBytes) {
            finish(new ResponseTooLargeError(url, limits.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => finish(null, { status, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', (error: NodeJS.ErrnoException) => finish(toOutboundError(url, error)));
        response.on('aborted', () => finish(new OutboundNetworkError(url, 'ECONNRESET')));
      });

      request.on('error', (error: NodeJS.ErrnoException) => finish(toOutboundError(url, error)));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      request.end(hop.body);
    });
  }

  async function request(input: SafeHttpRequest): Promise<SafeHttpResponse> {
    const started = performance.now();
    const firstUrl = toUrl(input.url);
    const method = (input.method ?? 'GET').toUpperCase();
    let outcome: { status?: number; error?: OutboundErrorKind } = {};
    try {
      const response = await follow(firstUrl, method, input);
      outcome = { status: response.status };
      return response;
    } catch (error) {
      outcome = { error: error instanceof OutboundError ? error.kind : 'network' };
      throw error;
    } finally {
      try {
        options.onResponse?.({
          host: firstUrl.host,
          method,
          ...outcome,
          durationMs: performance.now() - started,
        });
      } catch {
        // A metrics hook must never change the outcome of a request.
      }
    }
  }

  async function follow(firstUrl: URL, method: string, input: SafeHttpRequest): Promise<SafeHttpResponse> {
    const timeoutMs = input.timeoutMs ?? options.timeoutMs;
    const maxBytes = input.maxBytes ?? options.maxResponseBytes;
    const followRedirects = input.followRedirects ?? true;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new OutboundTimeoutError(firstUrl, 'total', timeoutMs)), timeoutMs);
    const signal = input.signal ? AbortSignal.any([deadline.signal, input.signal]) : deadline.signal;

    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': userAgent,
      ...lowerCaseKeys(input.headers ?? {}),
    };
    let body = input.body === undefined ? undefined : Buffer.from(input.body);
    if (input.json !== undefined) {
      body = Buffer.from(JSON.stringify(input.json));
      headers['content-type'] = 'application/json';
    }
    if (input.bearerToken) headers.authorization = `Bearer ${input.bearerToken.reveal()}`;

    let hop: Hop = { url: firstUrl, method, headers, body };
    const isRedirect = (status: number) => followRedirects && REDIRECT_STATUSES.has(status);
    try {
      for (let redirects = 0; ; redirects++) {
        assertAllowed(hop.url);
        if (hop.body) hop.headers['content-length'] = String(hop.body.length);
        const result = await sendHop(hop, { maxBytes, readBody: (status) => !isRedirect(status) }, signal);
        if (!isRedirect(result.status)) return toResponse(hop.url, result);
        if (redirects >= maxRedirects) {
          throw new RedirectError(hop.url, 'too_many', `more than ${maxRedirects} redirects`);
        }
        hop = nextHop(hop, result);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  return { request, policy, checkDestination };
}

/** RFC 9110 §15.4: 303 (and, as browsers do, 301/302 after POST) switch to GET without a body. */
function nextHop(hop: Hop, result: HopResult): Hop {
  const location = result.headers.location;
  if (!location) throw new RedirectError(hop.url, 'missing_location', `HTTP ${result.status} without Location`);
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    throw new OutboundBlockedError(hop.url, 'invalid-url', 'redirect Location is not a URL');
  }
  const headers = { ...hop.headers };
  // Credentials are for the origin they were given to (fetch standard, "HTTP-redirect fetch").
  if (url.origin !== hop.url.origin) delete headers.authorization;
  const toGet = result.status === 303 || ((result.status === 301 || result.status === 302) && hop.method === 'POST');
  if (toGet) {
    delete headers['content-type'];
    delete headers['content-length'];
    return { url, method: hop.method === 'HEAD' ? 'HEAD' : 'GET', headers };
  }
  return { url, method: hop.method, headers, body: hop.body };
}

function toResponse(url: URL, result: HopResult): SafeHttpResponse {
  return {
    ...result,
    url: url.toString(),
    ok: result.status >= 200 && result.status < 300,
    text: () => result.body.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(result.body.toString('utf8')) as T;
      } catch (error) {
        throw new BadJsonError(url, error instanceof Error ? error.message : 'parse error');
      }
    },
  };
}

function toUrl(value: string | URL): URL {
  try {
    return typeof value === 'string' ? new URL(value) : value;
  } catch {
    throw new OutboundBlockedError('about:invalid', 'invalid-url', 'not an absolute URL');
  }
}

function toOutboundError(url: URL, error: NodeJS.ErrnoException): OutboundError {
  if (error instanceof OutboundError) return error;
  return new OutboundNetworkError(url, error.code);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The options for the broker's client, from `BrokerConfig.outbound` (plus an optional metrics hook). */
export function safeHttpOptionsFromConfig(
  outbound: BrokerConfig['outbound'],
  onResponse?: SafeHttpOptions['onResponse'],
): SafeHttpOptions {
  return {
    allowedHosts: outbound.allowedHosts,
    timeoutMs: outbound.timeoutMs,
    maxResponseBytes: outbound.maxResponseBytes,
    onResponse,
  };
}
