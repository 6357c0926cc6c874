/**
 * `Retry-After` (RFC 9110 §10.2.3) is either delay-seconds or an HTTP-date. Servers use both:
 * rate limiters usually send seconds, some gateways and EHR front ends send a date.
 * Returns the delay in milliseconds (0 for a date in the past), or undefined when the
 * header is absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // RFC 9110 requires IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") but recipients must accept
  // the obsolete forms too; Date.parse reads all three. A bare number with a sign or decimals
  // is not a valid delay and is not a date either.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
