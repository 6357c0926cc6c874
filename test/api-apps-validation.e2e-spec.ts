import { startApi, validAppBody, type ApiHarness } from './support/api-harness.js';

describe('app metadata validation (RFC 7591 / SMART)', () => {
  let api: ApiHarness;
  let auth: { Authorization: string };

  beforeAll(async () => {
    api = await startApi();
    ({ auth } = await api.tenantWithKey(['apps:read', 'apps:write']));
  });
  afterAll(() => api.close());

  it('creates, replaces (bumping metadataVersion) and deletes an app', async () => {
    const created = await api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    expect(created.body).toMatchObject({ metadataVersion: 1, keyManagement: 'none' });
    expect(created.body.clientMetadata.response_types).toEqual(['code']);
    const replaced = await api
      .http()
      .put(`/v1/apps/${created.body.id}`)
      .set(auth)
      .send(validAppBody({ client_name: 'Growth Chart 2' }))
      .expect(200);
    expect(replaced.body).toMatchObject({ metadataVersion: 2, clientMetadata: { client_name: 'Growth Chart 2' } });
    const deleted = await api.http().delete(`/v1/apps/${created.body.id}`).set(auth).expect(202);
    expect(deleted.body).toMatchObject({ id: created.body.id, deleted: true, registrationsDeleting: 0 });
    await api.http().get(`/v1/apps/${created.body.id}`).set(auth).expect(404);
  });

  it.each([
    ['relative redirect URI', { redirect_uris: ['/cb'] }, 'clientMetadata.redirect_uris[0]', 'absolute URI'],
    [
      'redirect URI with fragment',
      { redirect_uris: ['https://a.example/cb#x'] },
      'clientMetadata.redirect_uris[0]',
      'fragment',
    ],
    [
      'http redirect URI off loopback',
      { redirect_uris: ['http://a.example/cb'] },
      'clientMetadata.redirect_uris[0]',
      'loopback',
    ],
    ['missing redirect URIs for code', { redirect_uris: [] }, 'clientMetadata.redirect_uris', 'authorization_code'],
    ['unknown grant type', { grant_types: ['password'] }, 'clientMetadata.grant_types[0]', 'Invalid option'],
    [
      'code response without code grant',
      { grant_types: ['client_credentials'], response_types: ['code'], redirect_uris: undefined },
      'clientMetadata.response_types',
      'authorization_code',
    ],
    ['refresh_token alone', { grant_types: ['refresh_token'] }, 'clientMetadata.grant_types', 'authorization_code'],
    [
      'jwks and jwks_uri together',
      { jwks_uri: 'https://a.example/jwks', jwks: { keys: [{ kty: 'EC' }] } },
      'clientMetadata.jwks',
      'both',
    ],
    ['private key in jwks', { jwks: { keys: [{ kty: 'EC', d: 'x' }] } }, 'clientMetadata.jwks.keys[0]', 'public key'],
    [
      'unknown auth method',
      { token_endpoint_auth_method: 'tls_client_auth' },
      'clientMetadata.token_endpoint_auth_method',
      'Invalid option',
    ],
    [
      'private_key_jwt without keys',
      { token_endpoint_auth_method: 'private_key_jwt' },
      'clientMetadata.jwks_uri',
      'jwks',
    ],
    ['bad scope syntax', { scope: 'a\tb' }, 'clientMetadata.scope', 'RFC 6749'],
    ['http logo URI', { logo_uri: 'http://a.example/logo.png' }, 'clientMetadata.logo_uri', 'https'],
    ['contact that is not an email', { contacts: ['nobody'] }, 'clientMetadata.contacts[0]', 'email'],
    ['oversized client_name', { client_name: 'x'.repeat(513) }, 'clientMetadata.client_name', 'Too big'],
    [
      'too many redirect URIs',
      { redirect_uris: Array.from({ length: 51 }, (_, i) => `https://a.example/${i}`) },
      'clientMetadata.redirect_uris',
      'Too big',
    ],
    ['unknown metadata field', { client_secret: 'chosen-by-tenant' }, 'clientMetadata', 'Unrecognized key'],
  ])('rejects %s', async (_label, override, path, message) => {
    const response = await api.http().post('/v1/apps').set(auth).send(validAppBody(override)).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, code: 'validation_failed', title: 'Bad Request' });
    const problem = response.body.errors.find((error: { path: string }) => error.path === path);
    expect(problem?.message ?? JSON.stringify(response.body.errors)).toContain(message);
  });

  it('requires private_key_jwt and no tenant keys when the broker manages keys', async () => {
    const response = await api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({ ...validAppBody({ jwks_uri: 'https://a.example/jwks' }), keyManagement: 'managed' })
      .expect(400);
    const paths = response.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining(['clientMetadata.token_endpoint_auth_method', 'clientMetadata.jwks_uri']),
    );
  });

  it('accepts a managed-key client_credentials app and defaults the algorithm to ES384', async () => {
    const response = await api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Backend service',
        keyManagement: 'managed',
        clientMetadata: {
          client_name: 'Backend service',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          scope: 'system/*.rs',
        },
      })
      .expect(201);
    expect(response.body).toMatchObject({ keyManagement: 'managed', signingAlg: 'ES384' });
  });

  it('answers malformed JSON and wrong content with problem+json', async () => {
    const malformed = await api
      .http()
      .post('/v1/apps')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"name":')
      .expect(400);
    expect(malformed.body.code).toBe('malformed_json');
    const big = await api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({ name: 'x'.repeat(300_000) })
      .expect(413);
    expect(big.body.code).toBe('body_too_large');
  });
});
