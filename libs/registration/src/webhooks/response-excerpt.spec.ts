import { RESPONSE_EXCERPT_MAX_CHARS, responseExcerpt } from './response-excerpt.js';

describe('responseExcerpt', () => {
  it('turns control, format and line-separator characters into single spaces', () => {
    const body = Buffer.from('line one\r\n\tline two\u0007\u202eevil\u2028end\u200b');
    expect(responseExcerpt(body, [])).toBe('line one line two evil end');
  });

  it('redacts confidential strings before cutting', () => {
    const body = Buffer.from(`echo: v1,SIGNATURE== and whsec_KEY ${'y'.repeat(400)}`);
    const excerpt = responseExcerpt(body, ['SIGNATURE==', 'whsec_KEY', 'KEY'])!;
    expect(excerpt.startsWith('echo: v1,[REDACTED] and [REDACTED] yyy')).toBe(true);
    expect(Array.from(excerpt)).toHaveLength(RESPONSE_EXCERPT_MAX_CHARS);
  });

  it('cuts by code points, never inside a surrogate pair', () => {
    const excerpt = responseExcerpt(Buffer.from('😀'.repeat(300)), [])!;
    expect(Array.from(excerpt)).toHaveLength(RESPONSE_EXCERPT_MAX_CHARS);
    expect(excerpt).toBe('😀'.repeat(RESPONSE_EXCERPT_MAX_CHARS));
  });

  it('gives null for an empty or blank body', () => {
    expect(responseExcerpt(Buffer.alloc(0), [])).toBeNull();
    expect(responseExcerpt(Buffer.from('\r\n'), [])).toBeNull();
  });
});
