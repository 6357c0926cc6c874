import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { WriteRateLimiter } from './write-rate-limiter.js';

/**
 * Fixed one-second windows on Redis's clock (TIME, so workers' clock skew does not matter): a
 * permit is granted while the window's counter is under the limit, otherwise the script answers
 * how many milliseconds remain in this window. Only granted permits are counted.
 *
 * The key of a window is built inside the script from KEYS[1] (the prefix) and the second. On a
 * Redis Cluster that is allowed only because the prefix carries a hash tag (`{broker}`): every
 * window key then hashes to the prefix's slot.
 */
const ACQUIRE_SCRIPT = `
local now = redis.call('TIME')
local key = KEYS[1] .. now[1]
local used = tonumber(redis.call('GET', key) or '0')
if used < tonumber(ARGV[1]) then
  redis.call('INCR', key)
  if used == 0 then redis.call('EXPIRE', key, ARGV[2]) end
  return 0
end
return 1000 - math.floor(tonumber(now[2]) / 1000)
`;

/** Spreads waiting workers over the start of the next window instead of waking all at once. */
const MAX_WAKE_JITTER_MS = 25;

export interface RedisWriteRateLimiterOptions {
  /** Key prefix with a Redis Cluster hash tag, e.g. `{broker}:secrets:rate:`. */
  keyPrefix: string;
  writesPerSecond: number;
  /** How long a window's counter stays readable (for operators and tests); default 60 s. */
  windowTtlSeconds?: number;
}

/** Fleet-wide limiter: every worker that shares the Redis and the prefix shares the budget. */
export class RedisWriteRateLimiter implements WriteRateLimiter {
  readonly #redis: Redis;
  readonly #options: Required<RedisWriteRateLimiterOptions>;

  constructor(redis: Redis, options: RedisWriteRateLimiterOptions) {
    if (!/^\{[^{}]+\}/.test(options.keyPrefix)) {
      throw new Error('keyPrefix must start with a Redis Cluster hash tag such as {broker}');
    }
    if (!(Number.isInteger(options.writesPerSecond) && options.writesPerSecond > 0)) {
      throw new Error('writesPerSecond must be a positive integer');
    }
    this.#redis = redis;
    this.#options = { windowTtlSeconds: 60, ...options };
  }

  async acquire(): Promise<void> {
    for (;;) {
      const waitMs = Number(
        await this.#redis.eval(
          ACQUIRE_SCRIPT,
          1,
          this.#options.keyPrefix,
          this.#options.writesPerSecond,
          this.#options.windowTtlSeconds,
        ),
      );
      if (waitMs === 0) return;
      await sleep(waitMs + Math.random() * MAX_WAKE_JITTER_MS);
    }
  }
}

/** The prefix the broker uses for its limiter keys, under the queue prefix's hash tag. */
export function secretWriteRateKeyPrefix(hashTaggedPrefix: string): string {
  return `${hashTaggedPrefix}:secrets:rate:`;
}
