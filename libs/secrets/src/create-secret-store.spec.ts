import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '#config';
import { createPrismaClient } from '#persistence';
import { createSecretStore, createWriteRateLimiter } from './create-secret-store.js';
import { RedisWriteRateLimiter } from './rate-limit/redis-write-rate-limiter.js';
import { TokenBucketWriteRateLimiter } from './rate-limit/write-rate-limiter.js';

const baseEnv = { OPERATOR_TOKEN: 'o'.repeat(32), LOCAL_SECRETS_KEY: randomBytes(32).toString('base64') };

describe('createSecretStore', () => {
  // No query runs: the client only connects on first use.
  const prisma = createPrismaClient('postgresql://postgres@127.0.0.1:5432/unused');

  it('chooses the configured backend', () => {
    expect(createSecretStore(loadConfig({ ...baseEnv, SECRETS_BACKEND: 'local' }), { prisma }).backend).toBe('local');
    const aws = loadConfig({ ...baseEnv, SECRETS_BACKEND: 'aws', AWS_REGION: 'eu-west-1' });
    expect(createSecretStore(aws, { prisma }).backend).toBe('aws');
  });

  it('shares the write budget through Redis when a connection is given, in process otherwise', () => {
    const config = loadConfig(baseEnv);
    const redis = new Redis({ lazyConnect: true });
    expect(createWriteRateLimiter(config, redis)).toBeInstanceOf(RedisWriteRateLimiter);
    expect(createWriteRateLimiter(config)).toBeInstanceOf(TokenBucketWriteRateLimiter);
    redis.disconnect();
  });
});
