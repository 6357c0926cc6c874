import { TokenBucketWriteRateLimiter, type Clock } from './write-rate-limiter.js';

/** Virtual time: sleeping moves the clock, so the test is exact and instant. */
function virtualClock(): Clock & { time: number } {
  const clock = {
    time: 1_700_000_000_000,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.time += ms;
    },
  };
  return clock;
}

/** Grants per whole second of (virtual) time. */
function perSecond(grantTimes: number[]): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const time of grantTimes) buckets.set(Math.floor(time / 1000), (buckets.get(Math.floor(time / 1000)) ?? 0) + 1);
  return buckets;
}

describe('TokenBucketWriteRateLimiter', () => {
  it('spreads N writes at L per second over at least N/L seconds, never more than L in a second', async () => {
    const clock = virtualClock();
    const limiter = new TokenBucketWriteRateLimiter(20, { clock });
    const grants: number[] = [];

    for (let i = 0; i < 100; i++) {
      await limiter.acquire();
      grants.push(clock.now());
    }

    const buckets = perSecond(grants);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(20);
    expect(buckets.size).toBeGreaterThanOrEqual(100 / 20);
  });

  it('lets a configured burst through at once, then holds the rate', async () => {
    const clock = virtualClock();
    const limiter = new TokenBucketWriteRateLimiter(10, { clock, burst: 5 });
    const start = clock.now();
    const grants: number[] = [];

    for (let i = 0; i < 25; i++) {
      await limiter.acquire();
      grants.push(clock.now() - start);
    }

    expect(grants.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // The 20 writes after the burst need 20 tokens at 10/s.
    expect(grants.at(-1)).toBeGreaterThanOrEqual(2000 - 1e-6);
  });

  it('gives concurrent callers distinct slots instead of letting them through together', async () => {
    // Time stands still while they wait, as it does for callers that arrive together.
    const waits: number[] = [];
    const frozenClock: Clock = { now: () => 0, sleep: async (ms) => void waits.push(ms) };
    const concurrent = new TokenBucketWriteRateLimiter(4, { clock: frozenClock });

    await Promise.all(Array.from({ length: 4 }, () => concurrent.acquire()));

    expect(waits).toEqual([250, 500, 750]);
  });

  it('refills while idle, up to the burst only', async () => {
    const clock = virtualClock();
    const limiter = new TokenBucketWriteRateLimiter(10, { clock, burst: 2 });
    for (let i = 0; i < 2; i++) await limiter.acquire();
    clock.time += 60_000;
    const before = clock.now();

    for (let i = 0; i < 3; i++) await limiter.acquire();

    expect(clock.now() - before).toBeCloseTo(100, 6);
  });
});
