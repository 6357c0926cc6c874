import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { WriteRateLimiter } from './write-rate-limiter.js';

/**
 * A token bucket on Redis's clock (TIME, so workers' clock skew does not matter), in one hash:
 * `tokens` and `at` (ms, with microseconds). The script refills the bucket by the time elapsed
 * since `at` (capped at the burst), then either takes one token (answers 0) or answers how many
 * milliseconds until a whole token is there (and changes nothing). Fixed one-second windows let
 * a full window's writes through at the end of one second and another full window's at the start
 * of the next; a bucket with a burst of 1 spaces every grant at least one refill interval apart,
 * so any one-second stretch holds at most the limit.
 *
 * Numbers are written with %.17g: Lua's tostring keeps 14 digits, which would round `at` to the
 * millisecond and let grants come a little early.
 */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local perMs = tonumber(ARGV[1]) / tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * perMs) end
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens - 1), 'at', string.format('%.17g', math.max(now, at)))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 0
end
return math.max(1, math.ceil((1 - tokens) / perMs))
`;

/**
 * AWS counts a request when it arrives, not when we were allowed to send it: the time between
 * the two varies (event loop, network), which could bring L+1 requests into one second at AWS
 * though they left one interval apart. The bucket therefore refills L tokens per 1050 ms, not per
 * 1000 ms: up to 50 ms of such variation cannot put more than L requests in a second where they
 * are counted. It costs under 5 % of the configured rate.
 */
export const ARRIVAL_JITTER_ALLOWANCE_MS = 50;

/** Spreads waiting workers over the moment a token is due instead of waking them all at once. */
const MAX_WAKE_JITTER_MS = 25;

export interface RedisWriteRateLimiterOptions {
  /** Key prefix with a Redis Cluster hash tag, e.g. `{broker}:secrets:rate:`. */
  keyPrefix: string;
  writesPerSecond: number;
  /** Tokens that may be spent at once after an idle time; default 1 (no burst: the quota is per second). */
  burst?: number;
}

/** Fleet-wide limiter: every worker that shares the Redis and the prefix shares the bucket. */
export class RedisWriteRateLimiter implements WriteRateLimiter {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #writesPerSecond: number;
  readonly #burst: number;

  constructor(redis: Redis, options: RedisWriteRateLimiterOptions) {
    if (!/^\{[^{}]+\}/.test(options.keyPrefix)) {
      throw new Error('keyPrefix must start with a Redis Cluster hash tag such as {broker}');
    }
    if (!(Number.isInteger(options.writesPerSecond) && options.writesPerSecond > 0)) {
      throw new Error('writesPerSecond must be a positive integer');
    }
    this.#redis = redis;
    this.#key = `${options.keyPrefix}bucket`;
    this.#writesPerSecond = options.writesPerSecond;
    this.#burst = Math.max(1, options.burst ?? 1);
  }

  async acquire(): Promise<void> {
    const refillMs = 1000 + ARRIVAL_JITTER_ALLOWANCE_MS;
    // The hash is kept while a full refill could still matter, and a little longer.
    const ttlMs = Math.ceil((this.#burst * refillMs) / this.#writesPerSecond) + 60_000;
    for (;;) {
      const waitMs = Number(
        await this.#redis.eval(ACQUIRE_SCRIPT, 1, this.#key, this.#writesPerSecond, refillMs, this.#burst, ttlMs),
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
