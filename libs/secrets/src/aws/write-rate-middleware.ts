import type { SecretsManagerClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-secrets-manager';
// Types only (erased at run time); the package comes with the AWS SDK.
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { WriteRateLimiter } from '../rate-limit/write-rate-limiter.js';

/** The requests AWS counts against the Secrets Manager write quota (and the broker's write rate limit). */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'DeleteSecret',
  'RestoreSecret',
  'TagResource',
]);

/**
 * Thrown when no permit could be had (Redis down): the write is not sent. The SDK does not retry
 * it (no retryable trait: the limiter's Redis client has its own retries); the store reports it
 * as a transient failure (`isTransientAwsError`), so the job waits and tries again.
 */
export class WriteRateLimiterUnavailableError extends Error {
  override readonly name = 'WriteRateLimiterUnavailable';
}

export const WRITE_RATE_MIDDLEWARE_NAME = 'secretsWriteRateLimit';

/**
 * Takes one permit from `limiter` for every write request the client sends. It sits in the
 * finalizeRequest step right after the SDK's retry middleware, so it runs once per attempt: a
 * retried PutSecretValue takes a permit for each try, as AWS counts each one. Reads pass freely
 * (their quota is far larger). The permit is taken after the retry middleware's own backoff, just
 * before signing and sending, so the time between permit and request stays short.
 */
export function addWriteRateLimit(client: SecretsManagerClient, limiter: WriteRateLimiter): void {
  const takePermit: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next, context) => async (args) => {
      const operation = context.commandName?.replace(/Command$/, '');
      if (operation && WRITE_OPERATIONS.has(operation)) {
        try {
          await limiter.acquire();
        } catch (error) {
          throw new WriteRateLimiterUnavailableError(
            `write rate limiter failed: ${(error as Error | undefined)?.name ?? 'unknown error'}`,
          );
        }
      }
      return next(args);
    };
  client.middlewareStack.addRelativeTo(takePermit, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: WRITE_RATE_MIDDLEWARE_NAME,
    override: true,
  });
}
