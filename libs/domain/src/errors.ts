/**
 * Errors raised by domain rules and use cases. They carry a stable code; the API maps each
 * code to an HTTP status and an RFC 9457 problem document, the worker decides from
 * `retryable` whether a job goes again. Use cases never throw HTTP exceptions.
 */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  NotFound = 'not_found',
  Conflict = 'conflict',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  IdempotencyKeyReused = 'idempotency_key_reused',
  InvalidStateTransition = 'invalid_state_transition',
  OutboundBlocked = 'outbound_blocked',
  SecretStoreUnavailable = 'secret_store_unavailable',
  Internal = 'internal',
  /** Credentials a site administrator entered did not work at the site's token endpoint. */
  ClientNotProven = 'client_not_proven',
}

export interface FieldProblem {
  /** JSON pointer-ish path of the offending field, e.g. `clientMetadata.redirect_uris[0]`. */
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { problems?: FieldProblem[]; retryable?: boolean; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get retryable(): boolean {
    return this.details.retryable ?? false;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, problems: FieldProblem[]) {
    super(ErrorCode.ValidationFailed, message, { problems });
    this.name = 'ValidationError';
  }

  get problems(): FieldProblem[] {
    return this.details.problems ?? [];
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string) {
    super(ErrorCode.NotFound, `${entity} ${id} was not found`, { entity });
    this.name = 'NotFoundError';
  }
}
