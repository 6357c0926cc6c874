import { diffMetadata } from './diff-metadata.js';

describe('diffMetadata', () => {
  it('finds nothing when the server granted what was asked, in any order', () => {
    expect(
      diffMetadata(
        {
          scope: 'a b c',
          grant_types: ['client_credentials', 'authorization_code'],
          jwks: { keys: [{ kty: 'EC', x: '1', y: '2' }] },
        },
        {
          scope: 'c  a b',
          grant_types: ['authorization_code', 'client_credentials'],
          jwks: { keys: [{ y: '2', x: '1', kty: 'EC' }] },
        },
      ),
    ).toEqual([]);
  });

  it('compares scopes as sets: a strict subset is narrowed, anything else replaced', () => {
    expect(diffMetadata({ scope: 'system/*.rs system/Patient.rs' }, { scope: 'system/*.rs' })).toEqual([
      { field: 'scope', requested: 'system/*.rs system/Patient.rs', granted: 'system/*.rs', kind: 'narrowed' },
    ]);
    expect(diffMetadata({ scope: 'a b' }, { scope: 'a c' })[0].kind).toBe('replaced');
    expect(diffMetadata({ scope: 'a' }, { scope: 'a b' })[0].kind).toBe('replaced');
  });

  it('compares arrays as sets', () => {
    expect(
      diffMetadata({ grant_types: ['authorization_code', 'refresh_token'] }, { grant_types: ['authorization_code'] }),
    ).toEqual([
      {
        field: 'grant_types',
        requested: ['authorization_code', 'refresh_token'],
        granted: ['authorization_code'],
        kind: 'narrowed',
      },
    ]);
    expect(diffMetadata({ redirect_uris: ['https://a/cb'] }, { redirect_uris: ['https://b/cb'] })[0].kind).toBe(
      'replaced',
    );
  });

  it('reports replaced scalars, added defaults and removed members, sorted by field', () => {
    expect(
      diffMetadata(
        { token_endpoint_auth_method: 'client_secret_post', client_uri: 'https://app.example' },
        { token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'RS256' },
      ),
    ).toEqual([
      { field: 'client_uri', requested: 'https://app.example', granted: undefined, kind: 'removed' },
      { field: 'id_token_signed_response_alg', requested: undefined, granted: 'RS256', kind: 'added' },
      {
        field: 'token_endpoint_auth_method',
        requested: 'client_secret_post',
        granted: 'client_secret_basic',
        kind: 'replaced',
      },
    ]);
  });

  it('ignores credentials and registration bookkeeping', () => {
    expect(
      diffMetadata(
        { client_name: 'App', software_statement: 'eyJ...' },
        {
          client_name: 'App',
          client_id: 'c1',
          client_secret: 's',
          registration_access_token: 't',
          client_id_issued_at: 1,
        },
      ),
    ).toEqual([]);
  });
});
