/**
 * The start of a receiver's answer, kept in the delivery log so an operator can see why a
 * receiver refused a delivery. Short, single-line and inert: control, format (bidi overrides,
 * zero-width) and line-separator characters become spaces, so the excerpt cannot forge log
 * lines or reorder what an operator reads; whatever the receiver echoed of our signatures or
 * secrets is replaced first.
 */
export const RESPONSE_EXCERPT_MAX_CHARS = 256;

/** Enough bytes to fill the excerpt even with 4-byte characters and redactions. */
const DECODED_BYTES = 16 * 1024;
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\uFFFD]+/gu;
export const REDACTED = '[REDACTED]';

export function responseExcerpt(body: Buffer, confidential: readonly string[]): string | null {
  let text = body.subarray(0, DECODED_BYTES).toString('utf8');
  for (const value of confidential) {
    if (value) text = text.replaceAll(value, REDACTED);
  }
  const clean = text.replace(UNSAFE_CHARACTERS, ' ').replace(/ {2,}/g, ' ').trim();
  // Cut by code points, not UTF-16 units, so no half surrogate pair is stored.
  const excerpt = Array.from(clean).slice(0, RESPONSE_EXCERPT_MAX_CHARS).join('');
  return excerpt || null;
}
