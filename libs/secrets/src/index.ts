export * from './errors.js';
export * from './secret-input.js';
export * from './secret-names.js';
export * from './keys.js';
export { LocalSecretStore, type DirectWrites } from './local/local-secret-store.js';
export {
  AwsSecretStore,
  createSecretsManagerClient,
  SECRETS_MANAGER_MAX_ATTEMPTS,
  type AwsSecretStoreOptions,
  type SecretsManagerClientOptions,
} from './aws/aws-secret-store.js';
export { awsErrorReason, isTransientAwsError } from './aws/retry.js';
export {
  addWriteRateLimit,
  WRITE_OPERATIONS,
  WRITE_RATE_MIDDLEWARE_NAME,
  WriteRateLimiterUnavailableError,
} from './aws/write-rate-middleware.js';
export {
  TokenBucketWriteRateLimiter,
  systemClock,
  type Clock,
  type WriteRateLimiter,
} from './rate-limit/write-rate-limiter.js';
export {
  ARRIVAL_JITTER_ALLOWANCE_MS,
  RedisWriteRateLimiter,
  secretWriteRateKeyPrefix,
  type RedisWriteRateLimiterOptions,
} from './rate-limit/redis-write-rate-limiter.js';
export { RateLimitedSecretStore } from './rate-limit/rate-limited-secret-store.js';
export { createSecretStore, createWriteRateLimiter, type SecretStoreDeps } from './create-secret-store.js';
export * from './certificates/udap-key-material.js';
export {
  CircuitBreakingSecretStore,
  DEFAULT_CIRCUIT_BREAKER,
  SECRET_STORE_HEALTH,
  SECRET_STORE_PROBE_NAME,
  type CircuitBreakerOptions,
  type SecretStoreHealth,
  type SecretStoreStatus,
} from './health/circuit-breaking-secret-store.js';
export {
  CANARY_ABSENT_NAME,
  CANARY_SECRET_NAME,
  SECRET_STORE_CANARY,
  SecretStoreCanary,
  SecretStoreCanaryError,
  type CanaryResult,
  type SecretStoreCanaryOptions,
} from './health/secret-store-canary.js';
