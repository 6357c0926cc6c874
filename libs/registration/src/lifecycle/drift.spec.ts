import { detectDrift, tokenScopeDrift } from './drift.js';

const held = {
  client_name: 'App',
  scope: 'system/*.rs',
  contacts: ['ops@example.org'],
  grant_types: ['client_credentials'],
};

describe('detectDrift', () => {
  it('without a baseline: a member the read omits is unknown, a member only the read has is a server default', () => {
    expect(
      detectDrift(held, { client_name: 'App', grant_types: ['client_credentials'], application_type: 'web' }),
    ).toEqual([]);
  });

  it('compares members both sides have, as sets where order means nothing', () => {
    expect(
      detectDrift(held, { client_name: 'Other', scope: 'system/*.rs', grant_types: ['client_credentials'] }),
    ).toEqual([{ field: 'client_name', expected: 'App', actual: 'Other', kind: 'replaced' }]);
  });

  it('with a baseline: a member shown before and gone now is removed; one new since is added', () => {
    const baseline = { client_name: 'App', contacts: ['ops@example.org'], grant_types: ['client_credentials'] };
    expect(
      detectDrift(held, { client_name: 'App', grant_types: ['client_credentials'], logo_uri: 'https://x' }, baseline),
    ).toEqual([
      { field: 'contacts', expected: ['ops@example.org'], actual: undefined, kind: 'removed' },
      { field: 'logo_uri', expected: undefined, actual: 'https://x', kind: 'added' },
    ]);
  });

  it('takes server-owned values from the baseline, not from the registration answer', () => {
    const baseline = { client_name: 'App', id_token_signed_response_alg: 'RS256' };
    expect(
      detectDrift(
        { ...held, id_token_signed_response_alg: 'ES256' },
        { client_name: 'App', id_token_signed_response_alg: 'RS256' },
        baseline,
      ),
    ).toEqual([]);
  });
});

describe('tokenScopeDrift', () => {
  it('shows a token narrower than the scope asked for', () => {
    expect(
      tokenScopeDrift(held, {
        status: 'usable',
        requestedScope: 'system/*.rs system/Patient.rs',
        tokenScope: 'system/Patient.rs',
      }),
    ).toEqual([{ field: 'token_scope', expected: 'system/*.rs', actual: 'system/Patient.rs', kind: 'narrowed' }]);
    expect(
      tokenScopeDrift(held, { status: 'usable', requestedScope: 'system/*.rs', tokenScope: 'system/*.rs' }),
    ).toEqual([]);
    expect(tokenScopeDrift(held, { status: 'usable', requestedScope: 'system/*.rs' })).toEqual([]);
  });
});
