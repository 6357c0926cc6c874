import { scopeToAsk } from './usability-check.js';

describe('scopeToAsk', () => {
  it('asks for granted system scopes first, then user-free ones, then the next candidate, else none', () => {
    expect(scopeToAsk('openid system/*.rs launch', 'x')).toBe('system/*.rs');
    expect(scopeToAsk('openid fhirUser patient/*.rs read:labs', 'x')).toBe('read:labs');
    expect(scopeToAsk(undefined, '', 'system/Patient.rs')).toBe('system/Patient.rs');
    expect(scopeToAsk('openid launch/patient', undefined)).toBeUndefined();
  });
});
