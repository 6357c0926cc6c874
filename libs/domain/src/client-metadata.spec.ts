import { clientMetadataSchema } from './client-metadata.js';
import { parseOrThrow } from './validation.js';
import { ValidationError } from './errors.js';

const valid = {
  client_name: 'Growth Chart',
  redirect_uris: ['https://app.example.com/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'launch openid fhirUser patient/*.rs',
};

function problemsOf(input: unknown): string[] {
  try {
    parseOrThrow(clientMetadataSchema, input, 'client metadata');
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('client metadata', () => {
  it('accepts SMART metadata and defaults response_types from the grants', () => {
    const parsed = parseOrThrow(clientMetadataSchema, valid, 'client metadata');
    expect(parsed.response_types).toEqual(['code']);
    expect(parsed.token_endpoint_auth_method).toBe('client_secret_basic');
  });

  it.each([
    [{ redirect_uris: ['/relative'] }, 'redirect_uris[0]: must be an absolute URI'],
    [{ redirect_uris: ['https://a.example/cb#frag'] }, 'redirect_uris[0]: must not contain a fragment'],
    [{ redirect_uris: ['http://app.example/cb'] }, 'redirect_uris[0]: http is only allowed for loopback'],
    [{ scope: 'a  b' }, 'scope: must be space-separated scope tokens'],
    [{ grant_types: ['implicit'] }, 'grant_types[0]'],
    [{ response_types: ['token'] }, 'response_types[0]'],
    [{ token_endpoint_auth_method: 'tls_client_auth' }, 'token_endpoint_auth_method'],
    [{ jwks_uri: 'https://a.example/jwks', jwks: { keys: [{ kty: 'EC' }] } }, 'jwks: jwks and jwks_uri must not both'],
    [{ jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }, 'jwks.keys[0]: must be a public key'],
    [{ redirect_uris: undefined }, 'redirect_uris: required for the authorization_code grant'],
    [
      { grant_types: ['client_credentials'], response_types: ['code'] },
      'response_types: response type "code" requires',
    ],
    [{ client_name: 'x'.repeat(600) }, 'client_name'],
    [{ unknown_field: true }, 'Unrecognized key'],
  ])('rejects %j', (override, expected) => {
    const problems = problemsOf({ ...valid, ...override });
    expect(problems.join('\n')).toContain(expected);
  });

  it('allows http redirect URIs on loopback', () => {
    expect(problemsOf({ ...valid, redirect_uris: ['http://127.0.0.1:8080/cb', 'http://[::1]/cb'] })).toEqual([]);
  });
});
