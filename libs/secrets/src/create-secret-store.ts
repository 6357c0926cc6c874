import type { Redis } from 'ioredis';
import type { SecretStore } from '#domain';
import type { BrokerConfig } from '#config';
import type { PrismaClient } from '#persistence';
import { AwsSecretStore, createSecretsManagerClient } from './aws/aws-secret-store.js';
import { LocalSecretStore } from './local/local-secret-store.js';
import { RateLimitedSecretStore } from './rate-limit/rate-limited-secret-store.js';
import { RedisWriteRateLimiter, secretWriteRateKeyPrefix } from './rate-limit/redis-write-rate-limiter.js';
import { TokenBucketWriteRateLimiter, type WriteRateLimiter } from './rate-limit/write-rate-limiter.js';
import { CircuitBreakingSecretStore } from './health/circuit-breaking-secret-store.js';

export interface SecretStoreDeps {
  prisma: PrismaClient;
  /** Shared by the fleet for the write rate limit; without it each process limits only itself. */
  redis?: Redis;
}

/**
 * The configured backend behind a circuit breaker (it is also the process's `SecretStoreHealth`).
 * Secrets Manager writes go through the fleet-wide write rate limiter (`secrets.writeRatePerSecond`,
 * below AWS's ~50 TPS write quota); the local store is bounded by PostgreSQL alone and is not throttled.
 */
export function createSecretStore(config: BrokerConfig, deps: SecretStoreDeps): CircuitBreakingSecretStore {
  const backend = createBackend(config, deps);
  const limited =
    config.secrets.backend === 'local'
      ? backend
      : new RateLimitedSecretStore(backend, createWriteRateLimiter(config, deps.redis));
  return new CircuitBreakingSecretStore(limited, config.secrets.circuit);
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

function createBackend(config: BrokerConfig, deps: SecretStoreDeps): SecretStore {
  const { secrets } = config;
  switch (secrets.backend) {
    case 'local':
      if (!secrets.localKey) throw new Error('secrets.localKey is required for the local secret store');
      return new LocalSecretStore(deps.prisma, secrets.localKey);
    case 'aws':
      return new AwsSecretStore({
        client: createSecretsManagerClient(secrets.aws),
        namePrefix: secrets.namePrefix,
        kmsKeyId: secrets.aws.kmsKeyId,
        recoveryWindowInDays: secrets.recoveryWindowDays,
      });
  }
}
