import type { Options as PinoHttpOptions } from 'pino-http';
import type { LoggerOptions } from 'pino';
import { redactUrl, redactUrlsIn } from './url-redaction.js';
import { traceFields } from './tracing.js';

/**
 * Every field that can carry a credential, wherever it appears in a log object. pino
 * replaces the value with "[REDACTED]" before serialising, so a careless `log.info(obj)`
 * cannot leak one. Domain code additionally wraps secrets in `SecretValue`, which prints
 * as [REDACTED] on its own.
 */
const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'token',
  'apiKey',
  'api_key',
  'client_secret',
  'clientSecret',
  'registration_access_token',
  'registrationAccessToken',
  'initial_access_token',
  'initialAccessToken',
  'access_token',
  'refresh_token',
  'software_statement',
  'client_assertion',
  'privateKey',
  'private_key',
  'privateJwk',
  'd',
  'secret',
  'signingSecret',
  'password',
  'operatorToken',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** An error as logged: its type, message and stack, with credentials in any URL they quote redacted. */
function serializeError(error: Error) {
  return {
    type: error?.name,
    message: redactUrl(String(error?.message ?? error)),
    stack: error?.stack === undefined ? undefined : redactUrl(error.stack),
  };
}

export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // trace_id/span_id of the active span (when tracing is on) join log lines to traces.
    mixin: traceFields,
    // Request bodies are never logged (they may carry client metadata and tokens).
    serializers: { err: serializeError },
    // Field names are not enough: a URL (a site's endpoint, a request line) can carry a credential
    // in its query string, in any field or in the message. Every logger of the broker (API,
    // worker, outbound HTTP) goes through these two hooks.
    formatters: { log: (object) => redactUrlsIn(object) },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? redactUrl(arg) : arg)) as Parameters<typeof method>,
        );
      },
    },
  };
}

export function httpLoggerOptions(level: string, name: string): PinoHttpOptions {
  return {
    ...loggerOptions(level, name),
    // Bodies are not logged; the URL is, with the value of any credential-looking query parameter
    // replaced (the API refuses such requests, but it logs them first).
    serializers: {
      err: serializeError,
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(String(req.url)),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
  };
}
