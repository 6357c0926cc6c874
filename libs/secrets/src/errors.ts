import { DomainError, ErrorCode } from '#domain';

/*
 * Errors of the secret stores. None of them ever carries a secret value: messages name the
 * secret and the operation, details carry codes that help an operator (AWS error name, HTTP
 * status), never a request body or the store's raw error object.
 */

/** The same `requestToken` was used before for this secret with another value (a caller bug, final). */
export class SecretRequestTokenReusedError extends DomainError {
  constructor(name: string) {
    super(
      ErrorCode.IdempotencyKeyReused,
      `secret ${name}: this requestToken was already used with another value; use a new token for a new value`,
      { secretName: name, retryable: false },
    );
    this.name = 'SecretRequestTokenReusedError';
  }
}

export interface SecretStoreFailure {
  backend: 'local' | 'aws';
  operation: 'put' | 'get' | 'promote' | 'delete';
  secretName: string;
  retryable: boolean;
  /** Name or code of the underlying error (e.g. `AccessDeniedException`, `P1001`, `ECONNRESET`). */
  reason?: string;
  httpStatus?: number;
}

/** The backend refused or could not be reached; `retryable` tells the worker whether to try again later. */
export class SecretStoreUnavailableError extends DomainError {
  constructor(failure: SecretStoreFailure) {
    const reason = failure.reason ? ` (${failure.reason})` : '';
    super(
      ErrorCode.SecretStoreUnavailable,
      `${failure.backend} secret store failed to ${failure.operation} secret ${failure.secretName}${reason}`,
      { ...failure },
    );
    this.name = 'SecretStoreUnavailableError';
  }
}

/**
 * A stored version did not authenticate: the ciphertext, IV or tag was altered, it was copied from
 * another secret or version, or the store runs with another key. Never retryable.
 */
export class SecretDecryptionError extends DomainError {
  constructor(name: string, versionId: string) {
    super(
      ErrorCode.Internal,
      `secret ${name} version ${versionId} failed authenticated decryption (altered data or wrong LOCAL_SECRETS_KEY)`,
      { secretName: name, versionId, retryable: false },
    );
    this.name = 'SecretDecryptionError';
  }
}
