import { DomainError, type RegistrationError } from '#domain';
import { OutboundError, SmartClientError } from '#smart-client';

/**
 * Any failure of a registration step in RFC 7591 terms (`error`, `error_description`), with
 * the HTTP status when a server answered and whether trying again can help. Messages come
 * from typed errors that never carry request secrets.
 */
export type RegistrationProblem = RegistrationError & { retryAfterMs?: number };

/** A failure the broker itself diagnoses (no server error to report). */
export function permanentProblem(error: string, description: string): RegistrationProblem {
  return { error, error_description: description, retryable: false, at: new Date().toISOString() };
}

export function toRegistrationError(error: unknown, at = new Date()): RegistrationProblem {
  const base = { at: at.toISOString() };
  if (error instanceof SmartClientError) {
    return {
      ...base,
      error: error.error,
      ...(error.errorDescription ? { error_description: error.errorDescription } : {}),
      ...(error.httpStatus ? { httpStatus: error.httpStatus } : {}),
      retryable: error.retryable,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  if (error instanceof OutboundError) {
    return { ...base, error: `outbound_${error.kind}`, error_description: error.message, retryable: error.retryable };
  }
  if (error instanceof DomainError) {
    return { ...base, error: error.code, error_description: error.message, retryable: error.retryable };
  }
  // Database or Redis trouble, a bug: worth another try, details are in the worker log.
  return {
    ...base,
    error: 'internal_error',
    error_description: 'unexpected error; see the worker log',
    retryable: true,
  };
}

/**
 * True when the server may have created a client although we got no usable answer: a timeout or
 * reset after the request was sent, a 5xx (a server or its gateway may fail after creating the
 * client: seen as a second client after a retry), or a 2xx we could not use.
 */
export function mayHaveCreatedClient(error: unknown): boolean {
  return error instanceof SmartClientError && error.outcomeUnknown;
}
