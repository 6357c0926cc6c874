export * from './errors.js';
export * from './secret-input.js';
export * from './secret-names.js';
export * from './keys.js';
export { LocalSecretStore } from './local/local-secret-store.js';
export { AwsSecretStore, createSecretsManagerClient, type AwsSecretStoreOptions } from './aws/aws-secret-store.js';
export { DEFAULT_RETRY_POLICY, isTransientAwsError, type RetryPolicy } from './aws/retry.js';
export {
  TokenBucketWriteRateLimiter,
  systemClock,
  type Clock,
  type WriteRateLimiter,
} from './rate-limit/write-rate-limiter.js';
export {
  RedisWriteRateLimiter,
  secretWriteRateKeyPrefix,
  type RedisWriteRateLimiterOptions,
} from './rate-limit/redis-write-rate-limiter.js';
export { RateLimitedSecretStore } from './rate-limit/rate-limited-secret-store.js';
export { createSecretStore, createWriteRateLimiter, type SecretStoreDeps } from './create-secret-store.js';
export * from './certificates/udap-key-material.js';
