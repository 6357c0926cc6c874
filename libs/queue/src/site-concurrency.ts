import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A fleet-wide cap on concurrent jobs per health system, so many tenants onboarding at once
 * never flood one EHR (BullMQ's group rate limits are a paid feature). A Redis sorted set
 * per site holds leases scored by expiry; expired leases (a worker that died) are dropped
 * on the next acquire, so a crash frees its slot after `leaseMs`.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(redis.call('HGET', KEYS[2], ARGV[6])) or tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
`;

export interface SiteLease {
  release(): Promise<void>;
}

export class SiteConcurrencyLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly options: { keyPrefix: string; limit: number; leaseMs: number },
  ) {}

  /** A lease on one of the site's slots, or null when all are taken. */
  async tryAcquire(healthSystemId: string): Promise<SiteLease | null> {
    const key = `${this.options.keyPrefix}:site-slots:${healthSystemId}`;
    const leaseId = randomUUID();
    const now = Date.now();
    const acquired = await this.redis.eval(
      ACQUIRE,
      2,
      key,
      siteLimitsKey(this.options.keyPrefix),
      now,
      now + this.options.leaseMs,
      this.options.limit,
      leaseId,
      this.options.leaseMs * 2,
      healthSystemId,
    );
    if (acquired !== 1) return null;
    return { release: async () => void (await this.redis.zrem(key, leaseId)) };
  }
}

/** The hash of per-site limits (health system id -> jobs at once) the operator set. */
export const siteLimitsKey = (keyPrefix: string) => `${keyPrefix}:site-limits`;

/**
 * Per-health-system limits, set by the operator API (the database column is the record; this is
 * the copy the workers' acquire script reads in the same round trip). A site without one uses the
 * fleet-wide default.
 */
export class SiteConcurrencyLimits {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async set(healthSystemId: string, limit: number | null): Promise<void> {
    if (limit === null) await this.redis.hdel(siteLimitsKey(this.keyPrefix), healthSystemId);
    else await this.redis.hset(siteLimitsKey(this.keyPrefix), healthSystemId, String(limit));
  }
}
