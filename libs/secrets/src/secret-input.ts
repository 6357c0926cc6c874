import { ValidationError } from '#domain';
import type { SecretValue } from '#domain';

/**
 * Input rules shared by every store, taken from Secrets Manager's limits so that a caller that
 * passes with the local store also passes with AWS:
 * - names: ASCII letters, digits and `/_+=.@-`, at most 512 characters (CreateSecret `Name`);
 * - request tokens: 32 to 64 characters (`ClientRequestToken`), printable ASCII;
 * - values: 1 byte to 64 KiB of UTF-8 (`SecretString`).
 */
export const SECRET_NAME_MAX_LENGTH = 512;
export const SECRET_VALUE_MAX_BYTES = 65_536;

const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
const REQUEST_TOKEN_PATTERN = /^[\x21-\x7e]{32,64}$/;

export function assertValidSecretName(name: string, maxLength = SECRET_NAME_MAX_LENGTH): void {
  if (typeof name !== 'string' || !SECRET_NAME_PATTERN.test(name) || name.length > maxLength) {
    throw new ValidationError('secret name is invalid', [
      {
        path: 'name',
        message: `must be 1 to ${maxLength} characters of letters, digits and /_+=.@- (got ${JSON.stringify(String(name).slice(0, 80))})`,
      },
    ]);
  }
}

export function assertValidRequestToken(requestToken: string): void {
  if (typeof requestToken !== 'string' || !REQUEST_TOKEN_PATTERN.test(requestToken)) {
    throw new ValidationError('secret requestToken is invalid', [
      { path: 'requestToken', message: 'must be 32 to 64 printable ASCII characters (e.g. a UUID)' },
    ]);
  }
}

/** Checks the size only: the message states the limit, never the value. */
export function assertValidSecretValue(value: SecretValue): void {
  const bytes = Buffer.byteLength(value.reveal(), 'utf8');
  if (bytes === 0 || bytes > SECRET_VALUE_MAX_BYTES) {
    throw new ValidationError('secret value is invalid', [
      { path: 'value', message: `must be 1 to ${SECRET_VALUE_MAX_BYTES} bytes of UTF-8 (got ${bytes} bytes)` },
    ]);
  }
}
