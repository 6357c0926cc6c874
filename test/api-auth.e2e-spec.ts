import { OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';

describe('API authentication and authorisation', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  describe('operator routes', () => {
    it.each([
      ['no Authorization header', {}],
      ['a wrong token', { Authorization: 'Bearer wrong-token-wrong-token-wrong-token-00' }],
      ['a malformed header', { Authorization: 'Basic b3BlcmF0b3I6eA==' }],
    ])('answer 401 problem+json with %s', async (_label, headers) => {
      const response = await api.http().get('/v1/admin/tenants').set(headers).expect(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({ status: 401, code: 'unauthenticated', instance: '/v1/admin/tenants' });
    });

    it('reject a tenant API key', async () => {
      const { auth } = await api.tenantWithKey(['apps:read']);
      await api.http().get('/v1/admin/tenants').set(auth).expect(401);
    });
  });

  describe('tenant routes', () => {
    it('answer 401 without a key, with a malformed key and with an unknown key', async () => {
      await api.http().get('/v1/apps').expect(401);
      await api.http().get('/v1/apps').set({ Authorization: 'Bearer not-a-key' }).expect(401);
      const unknown = `srb_${'0'.repeat(32)}_${'A'.repeat(43)}`;
      await api
        .http()
        .get('/v1/apps')
        .set({ Authorization: `Bearer ${unknown}` })
        .expect(401);
    });

    it('answer 401 for a key whose secret part is wrong', async () => {
      const { auth } = await api.tenantWithKey(['apps:read']);
      const tampered = auth.Authorization.slice(0, -1) + (auth.Authorization.endsWith('A') ? 'B' : 'A');
      await api.http().get('/v1/apps').set({ Authorization: tampered }).expect(401);
    });

    it('reject the operator token', async () => {
      await api.http().get('/v1/apps').set(OPERATOR).expect(401);
    });

    it('answer 401 once the key is revoked', async () => {
      const { tenantId, keyId, auth } = await api.tenantWithKey(['apps:read']);
      await api.http().get('/v1/apps').set(auth).expect(200);
      const revoked = await api
        .http()
        .delete(`/v1/admin/tenants/${tenantId}/api-keys/${keyId}`)
        .set(OPERATOR)
        .expect(200);
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      await api.http().get('/v1/apps').set(auth).expect(401);
    });

    it('answer 401 once the tenant is disabled', async () => {
      const { tenantId, auth } = await api.tenantWithKey(['apps:read']);
      await api.http().post(`/v1/admin/tenants/${tenantId}/disable`).set(OPERATOR).expect(200);
      await api.http().get('/v1/apps').set(auth).expect(401);
    });

    it('answer 403 naming the missing scope', async () => {
      const { auth } = await api.tenantWithKey(['apps:read']);
      const response = await api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(403);
      expect(response.body).toMatchObject({ code: 'forbidden', requiredScopes: 'apps:write' });
    });

    it('show the token once and never list it', async () => {
      const tenant = await api.http().post('/v1/admin/tenants').set(OPERATOR).send({ name: 'Once' }).expect(201);
      const issued = await api
        .http()
        .post(`/v1/admin/tenants/${tenant.body.id}/api-keys`)
        .set(OPERATOR)
        .send({ name: 'ci', scopes: ['apps:read'] })
        .expect(201);
      expect(issued.body.token).toMatch(/^srb_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      const listed = await api.http().get(`/v1/admin/tenants/${tenant.body.id}/api-keys`).set(OPERATOR).expect(200);
      expect(listed.body.items).toHaveLength(1);
      expect(JSON.stringify(listed.body)).not.toContain(issued.body.token.slice('srb_'.length + 32 + 1));
    });

    it('reject API key requests with unknown scopes', async () => {
      const tenant = await api.http().post('/v1/admin/tenants').set(OPERATOR).send({ name: 'Scopes' }).expect(201);
      const response = await api
        .http()
        .post(`/v1/admin/tenants/${tenant.body.id}/api-keys`)
        .set(OPERATOR)
        .send({ name: 'x', scopes: ['everything'] })
        .expect(400);
      expect(response.body.errors[0].path).toBe('scopes[0]');
    });
  });
});
