import { OPERATOR, startApi, type ApiHarness } from './support/api-harness.js';
import { SECRET_STORE, type SecretStore } from '#domain';

describe('health-system directory (operator)', () => {
  let api: ApiHarness;
  const unique = () => `https://ehr-${Math.random().toString(36).slice(2)}.example.org/fhir/r4`;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('creates, reads, updates and deletes a health system, normalising its FHIR base URL', async () => {
    const url = unique();
    const created = await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'General Hospital', fhirBaseUrl: `${url}/`, vendor: 'epic' })
      .expect(201);
    expect(created.body).toMatchObject({ fhirBaseUrl: url, vendor: 'epic', initialAccessTokenConfigured: false });
    await api.http().get(`/v1/admin/health-systems/${created.body.id}`).set(OPERATOR).expect(200);
    const updated = await api
      .http()
      .patch(`/v1/admin/health-systems/${created.body.id}`)
      .set(OPERATOR)
      .send({ name: 'General Hospital East' })
      .expect(200);
    expect(updated.body.name).toBe('General Hospital East');
    await api.http().delete(`/v1/admin/health-systems/${created.body.id}`).set(OPERATOR).expect(204);
    await api.http().get(`/v1/admin/health-systems/${created.body.id}`).set(OPERATOR).expect(404);
    // The URL is free again after a delete.
    await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'Again', fhirBaseUrl: url })
      .expect(201);
  });

  it('refuses a duplicate FHIR base URL with 409', async () => {
    const url = unique();
    await api.http().post('/v1/admin/health-systems').set(OPERATOR).send({ name: 'A', fhirBaseUrl: url }).expect(201);
    const duplicate = await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'B', fhirBaseUrl: url })
      .expect(409);
    expect(duplicate.body.code).toBe('conflict');
  });

  it.each([
    ['not a URL', 'ehr.example.org/fhir', 'absolute URL'],
    ['plain http to a public host', 'http://ehr.example.org/fhir', 'https'],
    ['credentials in the URL', 'https://user:pw@ehr.example.org/fhir', 'credentials'],
    ['a query string', 'https://ehr.example.org/fhir?x=1', 'query'],
    ['another scheme', 'ftp://ehr.example.org/fhir', 'https'],
  ])('rejects %s', async (_label, fhirBaseUrl, message) => {
    const response = await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'X', fhirBaseUrl })
      .expect(400);
    expect(response.body.errors[0]).toMatchObject({ path: 'fhirBaseUrl' });
    expect(response.body.errors[0].message).toContain(message);
  });

  it('keeps the initial access token write-only, in the secret store', async () => {
    const token = `iat-${Math.random().toString(36).slice(2)}-write-only`;
    const created = await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'Token Site', fhirBaseUrl: unique(), initialAccessToken: token })
      .expect(201);
    expect(created.body.initialAccessTokenConfigured).toBe(true);
    expect(JSON.stringify(created.body)).not.toContain(token);
    const store = api.app.get<SecretStore>(SECRET_STORE);
    const stored = await store.get(`health-systems/${created.body.id}/initial-access-token`);
    expect(stored?.value.reveal()).toBe(token);

    const cleared = await api
      .http()
      .patch(`/v1/admin/health-systems/${created.body.id}`)
      .set(OPERATOR)
      .send({ initialAccessToken: null })
      .expect(200);
    expect(cleared.body.initialAccessTokenConfigured).toBe(false);
    expect(await store.get(`health-systems/${created.body.id}/initial-access-token`)).toBeNull();
  });

  it('paginates the directory', async () => {
    for (let i = 0; i < 3; i++) {
      await api
        .http()
        .post('/v1/admin/health-systems')
        .set(OPERATOR)
        .send({ name: `P${i}`, fhirBaseUrl: unique() })
        .expect(201);
    }
    const first = await api.http().get('/v1/admin/health-systems').query({ limit: 2 }).set(OPERATOR).expect(200);
    expect(first.body.items).toHaveLength(2);
    const second = await api
      .http()
      .get('/v1/admin/health-systems')
      .query({ limit: 2, cursor: first.body.nextCursor })
      .set(OPERATOR)
      .expect(200);
    const ids = [...first.body.items, ...second.body.items].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
