import type { Redis } from 'ioredis';
import type { SecretStore } from '#domain';
import type { BrokerConfig } from '#config';
import type { PrismaClient } from '#persistence';
import { AwsSecretStore, createSecretsManagerClient } from './aws/aws-secret-store.js';
import { LocalSecretStore, type DirectWrites } from './local/local-secret-store.js';
import { RateLimitedSecretStore } from './rate-limit/rate-limited-secret-store.js';
import { RedisWriteRateLimiter, secretWriteRateKeyPrefix } from './rate-limit/redis-write-rate-limiter.js';
import { TokenBucketWriteRateLimiter, type WriteRateLimiter } from './rate-limit/write-rate-limiter.js';
import { CircuitBreakingSecretStore } from './health/circuit-breaking-secret-store.js';

export interface SecretStoreDeps {
  prisma: PrismaClient;
  /** The pool under `prisma`: the local store writes a secret's first version with one plain statement. */
  direct?: DirectWrites;
  /** Shared by the fleet for the write rate limit; without it each process limits only itself. */
  redis?: Redis;
}

/**
 * The configured backend behind a circuit breaker (it is also the process's `SecretStoreHealth`).
 * Writes share one fleet-wide token bucket (`secrets.writeRatePerSecond`, below AWS's ~50 TPS write
 * quota): in AWS mode every write request the SDK sends takes a permit (SDK middleware, so retries
 * and the two requests some operations need are each counted); the local store takes one per
 * write call (one PostgreSQL transaction) at the store level.
 */
export function createSecretStore(config: BrokerConfig, deps: SecretStoreDeps): CircuitBreakingSecretStore {
  const limiter = createWriteRateLimiter(config, deps.redis);
  return new CircuitBreakingSecretStore(createBackend(config, deps, limiter), config.secrets.circuit);
}

export function createWriteRateLimiter(config: BrokerConfig, redis?: Redis): WriteRateLimiter {
  const writesPerSecond = config.secrets.writeRatePerSecond;
  return redis
    ? new RedisWriteRateLimiter(redis, {
        keyPrefix: secretWriteRateKeyPrefix(config.redis.queuePrefix),
        writesPerSecond,
      })
    : new TokenBucketWriteRateLimiter(writesPerSecond);
}

function createBackend(config: BrokerConfig, deps: SecretStoreDeps, limiter: WriteRateLimiter): SecretStore {
  const { secrets } = config;
  switch (secrets.backend) {
    case 'local':
      if (!secrets.localKey) throw new Error('secrets.localKey is required for the local secret store');
      return new RateLimitedSecretStore(new LocalSecretStore(deps.prisma, secrets.localKey, deps.direct), limiter);
    case 'aws':
      return new AwsSecretStore({
        client: createSecretsManagerClient(secrets.aws, { writeRateLimiter: limiter }),
        namePrefix: secrets.namePrefix,
        kmsKeyId: secrets.aws.kmsKeyId,
        recoveryWindowInDays: secrets.recoveryWindowDays,
      });
  }
}
