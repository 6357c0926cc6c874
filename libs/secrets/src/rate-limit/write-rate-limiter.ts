import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Gate in front of secret writes. Secrets Manager allows about 50 write TPS per account and
 * region (CreateSecret, PutSecretValue, UpdateSecretVersionStage, DeleteSecret...), shared by
 * every worker; a bulk onboarding must stay below it rather than live on ThrottlingException.
 */
export interface WriteRateLimiter {
  /** Resolves when one more write may start. */
  acquire(): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/**
 * In-process token bucket, for a single process (tests, a demo, one worker). Callers reserve
 * tokens ahead (the balance may go negative), so concurrent callers get distinct, evenly
 * spaced slots without polling. The default burst of 1 spaces writes 1/rate apart, which keeps
 * every one-second window at or under the rate, the way the AWS quota is counted.
 */
export class TokenBucketWriteRateLimiter implements WriteRateLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, options: { burst?: number; clock?: Clock } = {}) {
    if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = Math.max(1, options.burst ?? 1);
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.#burst;
    this.#updatedAt = this.#clock.now();
  }

  async acquire(): Promise<void> {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
    this.#tokens -= 1;
    if (this.#tokens < 0) await this.#clock.sleep(-this.#tokens / this.#ratePerMs);
  }
}
