import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode, type FieldProblem } from '#domain';
import { databaseInputProblem } from './database-input-errors.js';
import { TooManyRequestsError } from './too-many-requests.js';

/** RFC 9457 problem document. `errors` lists field problems for validation failures. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://smart-registration-broker.dev/problems/';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.IdempotencyKeyReused]: HttpStatus.CONFLICT,
  [ErrorCode.InvalidStateTransition]: HttpStatus.CONFLICT,
  [ErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorCode.OutboundBlocked]: HttpStatus.BAD_REQUEST,
  [ErrorCode.SecretStoreUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
  [ErrorCode.ClientNotProven]: HttpStatus.UNPROCESSABLE_ENTITY,
};

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Errors thrown by Express's body parser carry a status and a `type` such as `entity.parse.failed`. */
interface BodyParserError {
  status: number;
  type: string;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && 'type' in error && 'status' in error;
}

export function problem(status: number, code: string, detail: string | undefined, extra: Partial<ProblemDetails> = {}) {
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: TITLE_BY_STATUS[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    code,
    ...extra,
  } satisfies ProblemDetails;
}

/** Turns every error the API can raise into one `application/problem+json` answer. */
export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof DomainError) {
    const { problems, retryable: _retryable, ...rest } = error.details;
    const extensions = Object.fromEntries(Object.entries(rest).filter(([, value]) => typeof value !== 'object'));
    return problem(STATUS_BY_CODE[error.code], error.code, error.message, {
      ...extensions,
      ...(problems ? { errors: problems } : {}),
    });
  }
  // Nest wraps Express body-parser errors in an HttpException; the cause says what went wrong.
  const bodyError = error instanceof HttpException ? error.cause : error;
  if (isBodyParserError(bodyError)) {
    if (bodyError.type === 'entity.parse.failed')
      return problem(400, 'malformed_json', 'the request body is not valid JSON');
    if (bodyError.type === 'entity.too.large') return problem(413, 'body_too_large', 'the request body is too large');
    return problem(bodyError.status, 'bad_request', 'the request body could not be read');
  }
  if (error instanceof TooManyRequestsError) {
    return problem(429, 'too_many_requests', error.message, { retryAfterSeconds: error.retryAfterSeconds });
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? ErrorCode.NotFound : `http_${status}`;
    return problem(status, code, error.message);
  }
  // PostgreSQL refused a value that came from the request (an invalid byte sequence, a value too
  // long, a duplicate...): the caller's mistake, said as such, never a 500.
  const refused = databaseInputProblem(error);
  if (refused) return problem(refused.status, refused.code, refused.detail);
  return problem(500, ErrorCode.Internal, 'an unexpected error occurred');
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();
    const body = { ...toProblem(error), instance: request.originalUrl.split('?')[0] };
    if (body.status >= 500) {
      // Only the error's type and message: request bodies and headers may carry secrets.
      const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
      this.logger.error({ err: { name, message, stack }, path: body.instance }, 'request failed');
    }
    if (body.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (error instanceof TooManyRequestsError) response.setHeader('Retry-After', String(error.retryAfterSeconds));
    sendProblem(response, body);
  }
}

/** Writes a problem document (also used by the Express middlewares that answer before Nest's routing). */
export function sendProblem(response: Response, body: ProblemDetails): void {
  response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
