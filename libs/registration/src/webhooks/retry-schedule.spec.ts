import { MAX_RETRY_AFTER_MS, webhookMaxAttempts, webhookRetryDelayMs } from './retry-schedule.js';

describe('webhook retry schedule', () => {
  const schedule = [5_000, 300_000, 1_800_000];

  it('waits the step of the failed attempt, and nothing is left after the last', () => {
    expect(webhookMaxAttempts(schedule)).toBe(4);
    expect([1, 2, 3, 4].map((attempt) => webhookRetryDelayMs(schedule, attempt))).toEqual([
      5_000,
      300_000,
      1_800_000,
      null,
    ]);
  });

  it('waits what Retry-After asks instead, up to a day', () => {
    expect(webhookRetryDelayMs(schedule, 1, 120_000)).toBe(120_000);
    expect(webhookRetryDelayMs(schedule, 2, 0)).toBe(0);
    expect(webhookRetryDelayMs(schedule, 1, 90 * 24 * 3600 * 1000)).toBe(MAX_RETRY_AFTER_MS);
    expect(webhookRetryDelayMs(schedule, 4, 1_000)).toBeNull();
  });
});
