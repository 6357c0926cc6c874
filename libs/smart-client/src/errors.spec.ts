import type { IncomingHttpHeaders } from 'node:http';
import { errorFromOutbound, errorFromResponse, isRetryable, retryAfterMs, SmartClientError } from './errors.js';
import { OutboundBlockedError, OutboundNetworkError, OutboundTimeoutError } from './http/errors.js';
import type { SafeHttpResponse } from './http/safe-http.js';

function response(status: number, body: unknown, headers: IncomingHttpHeaders = {}): SafeHttpResponse {
  const buffer = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    status,
    headers,
    body: buffer,
    url: 'https://ehr.example/reg',
    ok: status >= 200 && status < 300,
    text: () => buffer.toString(),
    json: <T>() => JSON.parse(buffer.toString()) as T,
  };
}

describe('errorFromResponse (RFC 7591 §3.2.2 classification)', () => {
  it.each([
    [400, 'invalid_redirect_uri'],
    [400, 'invalid_client_metadata'],
    [400, 'invalid_software_statement'],
    [400, 'unapproved_software_statement'],
    [401, 'invalid_token'],
    [403, 'invalid_token'],
    [404, undefined],
    [409, undefined],
    [501, undefined],
  ])('HTTP %s %s is permanent', (status, error) => {
    const failure = errorFromResponse(
      'register',
      response(status, error ? { error, error_description: 'why' } : 'nope'),
    );
    expect(failure).toMatchObject({ retryable: false, httpStatus: status, error: error ?? 'http_error' });
    expect(isRetryable(failure)).toBe(false);
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('HTTP %s is retryable', (status) => {
    expect(isRetryable(errorFromResponse('register', response(status, '')))).toBe(true);
  });

  it('keeps error, error_description and status, and reads Retry-After in seconds or as a date', () => {
    const seconds = errorFromResponse(
      'register',
      response(429, { error: 'slow_down', error_description: 'too many' }, { 'retry-after': '3' }),
    );
    expect(seconds).toMatchObject({
      error: 'slow_down',
      errorDescription: 'too many',
      httpStatus: 429,
      retryable: true,
    });
    expect(retryAfterMs(seconds)).toBe(3000);

    const date = new Date(Date.now() + 60_000).toUTCString();
    const dated = errorFromResponse('register', response(503, 'down', { 'retry-after': date }));
    expect(retryAfterMs(dated)).toBeGreaterThan(50_000);
    expect(retryAfterMs(dated)).toBeLessThanOrEqual(60_000);
    expect(dated.errorDescription).toBe('down');
  });

  it('treats a 400 temporarily_unavailable as transient', () => {
    expect(errorFromResponse('token', response(400, { error: 'temporarily_unavailable' })).retryable).toBe(true);
  });
});

describe('bare 401/403 (empty body, no WWW-Authenticate) said in words, status kept', () => {
  it.each([
    ['register', 401, { sentInitialAccessToken: true }, /refused the initial access token/],
    ['register', 403, {}, /requires authorization to register/],
    ['read', 403, {}, /refused the registration access token/],
    ['delete', 401, {}, /refused the registration access token/],
    ['token', 401, {}, /refused the client credentials/],
    ['token', 403, {}, /most likely the requested scope/],
  ] as const)('%s answered %s', (operation, status, context, words) => {
    const error = errorFromResponse(operation, response(status, ''), context);
    expect(error).toMatchObject({ error: 'http_error', httpStatus: status, retryable: false });
    expect(error.errorDescription).toMatch(words);
    expect(error.message).toContain(`(HTTP ${status})`);
  });

  it('reads the error from WWW-Authenticate when the body has none (RFC 6750 §3)', () => {
    const error = errorFromResponse(
      'read',
      response(401, '', { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' }),
    );
    expect(error).toMatchObject({ error: 'invalid_token', errorDescription: 'expired', httpStatus: 401 });
  });
});

describe('errorFromOutbound', () => {
  it('keeps the transport classification and says when the server may have acted', () => {
    const url = 'https://ehr.example/reg';
    expect(errorFromOutbound('register', new OutboundTimeoutError(url, 'headers', 10))).toMatchObject({
      error: 'timeout',
      retryable: true,
      outcomeUnknown: true,
    });
    expect(errorFromOutbound('register', new OutboundTimeoutError(url, 'connect', 10)).outcomeUnknown).toBe(false);
    expect(errorFromOutbound('register', new OutboundNetworkError(url, 'ECONNREFUSED')).outcomeUnknown).toBe(false);
    expect(errorFromOutbound('register', new OutboundNetworkError(url, 'ECONNRESET')).outcomeUnknown).toBe(true);
    expect(errorFromOutbound('register', new OutboundBlockedError(url, 'private', '10.0.0.1'))).toMatchObject({
      error: 'blocked',
      retryable: false,
    });
  });

  it('is not retryable for errors from elsewhere', () => {
    expect(isRetryable(new Error('bug'))).toBe(false);
    expect(retryAfterMs(new Error('bug'))).toBeUndefined();
    expect(new SmartClientError('read', { error: 'x', retryable: true }).message).toBe('read failed: x');
  });
});
