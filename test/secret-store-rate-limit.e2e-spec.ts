import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisWriteRateLimiter, secretWriteRateKeyPrefix } from '#secrets';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The per-second counters the limiter left in Redis: second -> granted writes. */
async function windows(redis: Redis, keyPrefix: string): Promise<Map<number, number>> {
  const keys = await redis.keys(`${keyPrefix}*`);
  const counts = keys.length ? await redis.mget(...keys) : [];
  return new Map(keys.map((key, i) => [Number(key.slice(keyPrefix.length)), Number(counts[i])]));
}

describe('RedisWriteRateLimiter (real Redis)', () => {
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return redis;
  };
  const uniquePrefix = () => secretWriteRateKeyPrefix(`{test-${randomUUID()}}`);

  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.quit()));
  });

  it('spreads N writes over at least N/L seconds, with no second above L', async () => {
    const redis = connect();
    const keyPrefix = uniquePrefix();
    const limiter = new RedisWriteRateLimiter(redis, { keyPrefix, writesPerSecond: 4 });

    await Promise.all(Array.from({ length: 10 }, () => limiter.acquire()));

    const counts = await windows(redis, keyPrefix);
    const seconds = [...counts.keys()];
    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(10);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(4);
    // 10 writes at 4/s need at least 3 distinct seconds of Redis time.
    expect(Math.max(...seconds) - Math.min(...seconds) + 1).toBeGreaterThanOrEqual(3);
  });

  it('shares one budget between workers on separate connections', async () => {
    const keyPrefix = uniquePrefix();
    const workers = [connect(), connect(), connect()].map(
      (redis) => new RedisWriteRateLimiter(redis, { keyPrefix, writesPerSecond: 3 }),
    );

    await Promise.all(workers.flatMap((worker) => Array.from({ length: 3 }, () => worker.acquire())));

    const counts = await windows(connections[0]!, keyPrefix);
    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(9);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(3);
    expect(counts.size).toBeGreaterThanOrEqual(3);
  });

  it('expires its counters', async () => {
    const redis = connect();
    const keyPrefix = uniquePrefix();
    await new RedisWriteRateLimiter(redis, { keyPrefix, writesPerSecond: 5, windowTtlSeconds: 7 }).acquire();

    const [key] = await redis.keys(`${keyPrefix}*`);
    const ttl = await redis.ttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(7);
  });

  it('requires a hash-tagged prefix, so every window key lands in one cluster slot', () => {
    expect(
      () => new RedisWriteRateLimiter(connect(), { keyPrefix: 'broker:secrets:rate:', writesPerSecond: 5 }),
    ).toThrow(/hash tag/);
  });
});
