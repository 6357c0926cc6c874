import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Error names AWS uses for "slow down" (Secrets Manager answers writes over ~50 TPS with ThrottlingException). */
const THROTTLING_NAMES = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
/** Node socket errors that say nothing about the request itself. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

/** Throttling, server-side (5xx) and network failures are transient; everything else is final. */
export function isTransientAwsError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { name, code, $fault, $metadata, $retryable } = error as {
    name?: string;
    code?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = $metadata?.httpStatusCode;
  return (
    THROTTLING_NAMES.has(name ?? '') ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    $fault === 'server' ||
    Boolean($retryable) ||
    NETWORK_NAMES.has(name ?? '') ||
    NETWORK_CODES.has(code ?? '')
  );
}

/**
 * Runs `attempt` until it succeeds, fails with a final error, or `maxAttempts` is spent.
 * Waits use "full jitter" (random in [0, min(max, base * 2^n)]), which spreads a fleet of
 * workers that were throttled together instead of having them retry in lock step
 * (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= policy.maxAttempts || !isTransientAwsError(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      await sleep(Math.random() * ceiling);
    }
  }
}
