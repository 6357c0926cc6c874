import { OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import { dumpDatabaseExceptSecretStore, dumpSecretStoreTable } from './support/database-scan.js';

/**
 * Drives the API through the operations that handle secrets, then searches every response
 * body after the one that legitimately shows a value, every log line and every database
 * column for those values.
 */
describe('secret leak scan', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('finds no API key or initial access token outside the encrypted store', async () => {
    const responses: string[] = [];
    const record = <T extends { text: string }>(response: T) => {
      responses.push(response.text);
      return response;
    };
    const tenant = record(await api.http().post('/v1/admin/tenants').set(OPERATOR).send({ name: 'Scan' }).expect(201));
    const issued = await api
      .http()
      .post(`/v1/admin/tenants/${tenant.body.id}/api-keys`)
      .set(OPERATOR)
      .send({ name: 'scan', scopes: ['apps:read', 'apps:write'] })
      .expect(201);
    const apiKey: string = issued.body.token;
    const auth = { Authorization: `Bearer ${apiKey}` };
    const initialAccessToken = `iat-scan-${Date.now()}-0123456789abcdef`;

    record(
      await api
        .http()
        .post('/v1/admin/health-systems')
        .set(OPERATOR)
        .send({ name: 'Scan Site', fhirBaseUrl: `https://scan-${Date.now()}.example.org/fhir`, initialAccessToken })
        .expect(201),
    );
    record(await api.http().get('/v1/admin/health-systems').set(OPERATOR).expect(200));
    record(await api.http().get(`/v1/admin/tenants/${tenant.body.id}/api-keys`).set(OPERATOR).expect(200));
    record(await api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201));
    record(await api.http().get('/v1/apps').set(auth).expect(200));
    // Failures too: a wrong key, a bad body.
    record(
      await api
        .http()
        .get('/v1/apps')
        .set({ Authorization: `Bearer ${apiKey}x` })
        .expect(401),
    );
    record(await api.http().post('/v1/apps').set(auth).send({ secret: apiKey }).expect(400));

    // The key, and its secret part alone (after `srb_<32 hex>_`; base64url may itself contain "_").
    const secrets = [apiKey, apiKey.slice('srb_'.length + 32 + 1), initialAccessToken];
    const database = await dumpDatabaseExceptSecretStore(api.config.database.url);
    const secretStore = await dumpSecretStoreTable(api.config.database.url);
    expect(api.logs.lines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(responses.join('\n')).not.toContain(secret);
      expect(api.logs.text).not.toContain(secret);
      expect(database).not.toContain(secret);
      expect(secretStore).not.toContain(secret);
      expect(secretStore).not.toContain(Buffer.from(secret).toString('hex'));
    }
  });
});
