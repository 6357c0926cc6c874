import { extendedExpiry } from './rotate-secret.use-case.js';

describe('extendedExpiry (a PUT that kept the secret and moved its expiry)', () => {
  const current = new Date('2026-12-02T06:00:00Z');
  it('is the later expiry the site answered, or null when it now never expires', () => {
    expect(extendedExpiry(current, Date.parse('2026-12-02T07:00:00Z') / 1000)).toEqual(
      new Date('2026-12-02T07:00:00Z'),
    );
    expect(extendedExpiry(current, 0)).toBeNull();
  });
  it('is undefined when the answer did not say, did not improve, or the secret never expired', () => {
    expect(extendedExpiry(current, undefined)).toBeUndefined();
    expect(extendedExpiry(current, Date.parse('2026-12-02T05:00:00Z') / 1000)).toBeUndefined();
    expect(extendedExpiry(null, 0)).toBeUndefined();
  });
});
