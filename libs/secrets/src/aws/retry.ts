/*
 * How AWS errors are classified. Retrying them is the SDK's job (its standard retry strategy,
 * configured in `createSecretsManagerClient`); these say whether a failure that is left after
 * the SDK's retries may pass (throttling, 5xx, network) and what caused it.
 */

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
const NETWORK_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  // No write permit could be had (the limiter's Redis is down): nothing was sent.
  'WriteRateLimiterUnavailable',
]);

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
 * What went wrong, in the words an operator searches for: a Node network code (`ECONNREFUSED`,
 * `ETIMEDOUT`) when the request never reached AWS, else the AWS error name (`AccessDeniedException`,
 * `KMSDisabledException`, `ThrottlingException`...). The SDK wraps some network errors: their
 * cause is looked at too.
 */
export function awsErrorReason(error: unknown): string {
  const codeOf = (value: unknown): string | undefined => {
    if (!value || typeof value !== 'object') return undefined;
    const { code, name, cause } = value as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string' && code) return code;
    const inner = codeOf(cause);
    if (inner) return inner;
    return typeof name === 'string' && name !== 'Error' ? name : undefined;
  };
  return codeOf(error) ?? 'unknown error';
}
