/**
 * When a failed delivery is attempted again (docs/webhooks.md, "Retries"). `schedule[n]` is the
 * wait after the (n+1)-th failed attempt; the default (WEBHOOK_RETRY_SCHEDULE_MS) follows the
 * Standard Webhooks guidance and spans about 2.8 days. A 429 or 503 with `Retry-After` waits
 * what the receiver asked instead, capped at a day so a receiver cannot park a delivery for
 * months; it still counts as an attempt, so a receiver that always throttles ends like one
 * that always fails.
 */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export function webhookMaxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/** Milliseconds until the next attempt after failed attempt `attempt` (1-based), or null when none is left. */
export function webhookRetryDelayMs(
  schedule: readonly number[],
  attempt: number,
  retryAfterMs?: number,
): number | null {
  const step = schedule[attempt - 1];
  if (step === undefined) return null;
  return retryAfterMs === undefined ? step : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
}
