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
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
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
      1,
      key,
      now,
      now + this.options.leaseMs,
      this.options.limit,
      leaseId,
      this.options.leaseMs * 2,
    );
    if (acquired !== 1) return null;
    return { release: async () => void (await this.redis.zrem(key, leaseId)) };
  }
}
