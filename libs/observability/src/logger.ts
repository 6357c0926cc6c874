import type { Options as PinoHttpOptions } from 'pino-http';
import type { LoggerOptions } from 'pino';
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

export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // trace_id/span_id of the active span (when tracing is on) join log lines to traces.
    mixin: traceFields,
    // Request bodies are never logged (they may carry client metadata and tokens).
    serializers: { err: (error: Error) => ({ type: error.name, message: error.message, stack: error.stack }) },
  };
}

export function httpLoggerOptions(level: string, name: string): PinoHttpOptions {
  return {
    ...loggerOptions(level, name),
    // The query string can carry a cursor but never a secret; bodies are not logged.
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
  };
}
