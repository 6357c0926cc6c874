import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { BrokerConfig } from '#config';
import { Logger } from '@nestjs/common';
import { credentialParametersIn, redactUrl } from '#observability';
import { problem, sendProblem } from './problem-details.filter.js';

/**
 * The HTTP defences every answer of the API gets, as Express middlewares mounted before
 * anything else (body parsers, the queue dashboard, Swagger, Nest's routes):
 * response headers, credentials refused in the query string, and bodies that are not JSON
 * refused with 415. Server timeouts are set on the Node server by `applyServerLimits`.
 */
export function applyHttpDefences(app: NestExpressApplication): void {
  app.use(securityHeaders);
  app.use(refuseCredentialsInQuery);
  app.use(requireJsonBodies);
}

const logger = new Logger('HttpDefences');

/** The third-party browser pages the API serves (Swagger UI, the queue dashboard); the console has its own policy. */
const HTML_PAGES = /^\/(docs|admin\/queues)(\/|$|\?)/;

/** JSON answers: nothing may run, load or frame them. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI and Bull Board load their scripts, styles and images from the API itself and use
 * inline styles and scripts (their HTML is not ours to change), fetch JSON from the API, and
 * must never be framed (clickjacking of the operator's dashboard).
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web console (apps/console) is ours: one script and one stylesheet from the API itself, no
 * inline script or style, no eval, JSON from the API only. Nothing else may load, submit or frame.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONSOLE_PAGES = /^\/console(\/|$|\?)/;

function contentSecurityPolicy(url: string): string {
  if (CONSOLE_PAGES.test(url)) return CONSOLE_CSP;
  return HTML_PAGES.test(url) ? PAGE_CSP : JSON_CSP;
}

function securityHeaders(request: Request, response: Response, next: NextFunction): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('Content-Security-Policy', contentSecurityPolicy(request.originalUrl));
  // No answer of the API may be kept by a browser or a proxy: they carry tenants' data and,
  // on the credentials route, client secrets. (Swagger's static files are small; caching them
  // is not worth a second rule.)
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
  next();
}

/**
 * A credential in the URL ends up in proxies' logs, browser history and Referer headers: the
 * API takes keys only in the Authorization header and refuses a request that puts one in the
 * query string (the request logger has already replaced its value).
 */
function refuseCredentialsInQuery(request: Request, response: Response, next: NextFunction): void {
  const query = request.originalUrl.split('?')[1];
  const names = query ? credentialParametersIn(query) : [];
  if (!names.length) return next();
  // These answers come before the request logger's middleware: say what was refused here.
  logger.warn(
    { method: request.method, url: redactUrl(request.originalUrl) },
    'credentials in the query string refused',
  );
  sendProblem(response, {
    ...problem(
      400,
      'credentials_in_query',
      `credentials are not accepted in the query string (${names.join(', ')}): send the key as "Authorization: Bearer <key>"`,
    ),
    instance: request.originalUrl.split('?')[0],
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** A request body that is not JSON is refused with 415 before any parser reads it. */
function requireJsonBodies(request: Request, response: Response, next: NextFunction): void {
  if (!WITH_BODY.has(request.method) || !hasBody(request)) return next();
  const type = request.headers['content-type'] ?? '';
  if (JSON_TYPE.test(type)) return next();
  response.setHeader('Accept', 'application/json');
  sendProblem(response, {
    ...problem(
      415,
      'unsupported_media_type',
      type
        ? `request bodies must be application/json, not ${type.slice(0, 100)}`
        : 'request bodies must be application/json (the Content-Type header is missing)',
    ),
    instance: request.originalUrl.split('?')[0],
  });
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Slow or idle clients cannot hold connections open: headers must arrive within
 * `headersTimeoutMs`, the whole request within `requestTimeoutMs`, and an idle keep-alive
 * connection closes after `keepAliveTimeoutMs`.
 *
 * Node enforces `headersTimeout`/`requestTimeout` only when it checks its connections (every
 * 30 s, an option of `createServer` that Nest does not pass), so a connection that goes silent
 * is also cut by a socket inactivity timeout: `headersTimeoutMs` until a request's headers are
 * in, `requestTimeoutMs` while it is served (Node's own keep-alive timeout takes over between
 * requests). A silent socket is destroyed by Node's default timeout handling.
 */
export function applyServerLimits(server: Server, config: BrokerConfig): void {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config.api.http;
  server.requestTimeout = requestTimeoutMs;
  // Node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(headersTimeoutMs, requestTimeoutMs);
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.maxRequestsPerSocket = 1000;
  server.on('connection', (socket: Socket) => socket.setTimeout(server.headersTimeout));
  server.on('request', (request: IncomingMessage) => request.socket.setTimeout(requestTimeoutMs));
}
