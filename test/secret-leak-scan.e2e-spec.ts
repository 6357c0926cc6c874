import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SECRET_STORE, type SecretStore } from '#domain';
import { openCredential, openManagementEntries } from '#registration';
import { secretNames } from '#secrets';
import { OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { dumpDatabaseExceptSecretStore, dumpSecretStoreTable } from './support/database-scan.js';
import { TEST_LOCAL_SECRETS_KEY, TEST_OPERATOR_TOKEN } from './support/test-config.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

jest.setTimeout(180_000);

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

/** Every key under a queue prefix, with its value whatever its type, as text. */
async function dumpRedis(url: string, prefix: string): Promise<string> {
  const redis = new Redis(url);
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', '500');
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? await redis.hgetall(key)
              : type === 'list'
                ? await redis.lrange(key, 0, -1)
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'zset'
                    ? await redis.zrange(key, '0', '-1')
                    : type === 'stream'
                      ? await redis.xrange(key, '-', '+')
                      : null;
        parts.push(`${key}: ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

/**
 * The whole broker (API, worker, sandbox sites with initial access tokens and RFC 7592
 * management) through every operation that handles a secret of each kind: tenant API keys,
 * initial access tokens, client secrets, registration access tokens, webhook signing secrets,
 * the local store's key and the operator token. None may show in API or worker logs, any table
 * but the encrypted store, any Redis key of the broker's, or any response but the one meant to
 * carry it; a key sent in the query string included.
 */
describe('secret leak scan across the broker', () => {
  let broker: BrokerHarness;
  let worker: WorkerProcess;

  beforeAll(async () => {
    // The worker runs as its own process, as in production, so its log is its whole stdout:
    // an in-process worker shares nestjs-pino's process-wide root logger with the API.
    broker = await startBroker({}, { inProcessWorker: false });
    worker = await startWorkerProcess({
      ...broker.env,
      LOG_LEVEL: 'debug',
      ...(process.env.REDIS_URL && { REDIS_URL: process.env.REDIS_URL }),
    });
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await broker?.close();
  });

  it('finds no secret of any kind where it does not belong', async () => {
    const responses: string[] = [];
    const record = <T extends { text: string }>(response: T) => {
      responses.push(response.text);
      return response;
    };
    const http = broker.api.http;
    const run = randomUUID().slice(0, 8);
    const initialAccessTokens: string[] = [];
    const siteIds = await broker.addSites(
      [
        { name: `leak-iat-${run}`, profile: 'iat' },
        { name: `leak-rat-${run}`, profile: 'rotating-rat' },
      ],
      {
        initialAccessToken: (site) => {
          if (site.initialAccessToken) initialAccessTokens.push(site.initialAccessToken);
          return site.initialAccessToken;
        },
      },
    );
    expect(initialAccessTokens).toHaveLength(1);

    // Meant to carry a secret: the API key's issue, the credentials route, the webhook endpoint's creation.
    const tenant = record(
      await http()
        .post('/v1/admin/tenants')
        .set(OPERATOR)
        .send({ name: `Leak ${run}` })
        .expect(201),
    );
    const issued = await http()
      .post(`/v1/admin/tenants/${tenant.body.id}/api-keys`)
      .set(OPERATOR)
      .send({ name: 'leak', scopes: ALL_SCOPES })
      .expect(201);
    const apiKey: string = issued.body.token;
    const auth = { Authorization: `Bearer ${apiKey}` };
    const [healthSystemId] = [...siteIds.values()];
    const webhook = await http()
      .post(`/v1/admin/health-systems/${healthSystemId}/webhooks`)
      .set(OPERATOR)
      .send({ url: `${broker.sandbox.url}/leak-hooks` });
    expect({ status: webhook.status, body: webhook.status === 201 ? 'created' : webhook.body }).toEqual({
      status: 201,
      body: 'created',
    });
    const signingSecret: string = webhook.body.signingSecret;

    const app = record(await http().post('/v1/apps').set(auth).send(validAppBody()).expect(201));
    const onboarding = record(
      await http()
        .post(`/v1/apps/${app.body.id}/onboardings`)
        .set(auth)
        .set('Idempotency-Key', randomUUID())
        .send({ healthSystemIds: [...siteIds.values()] })
        .expect(202),
    );
    const progress = await waitForOnboarding(broker.api, auth, onboarding.body.id, 120_000);
    expect(progress.completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { onboardingId: onboarding.body.id });
    expect(registrations.map((r) => r.state)).toEqual(['registered', 'registered']);

    // The values to look for, read where they legitimately live.
    const clientSecrets: string[] = [];
    const managementTokens: string[] = [];
    const store = broker.api.app.get<SecretStore>(SECRET_STORE);
    const database = new pg.Client({ connectionString: broker.api.config.database.url });
    await database.connect();
    const { rows } = await database.query<{ credentialSecret: string }>(
      `SELECT "credentialSecret" FROM "Registration" WHERE "onboardingId" = $1`,
      [onboarding.body.id],
    );
    await database.end();
    const names = rows.map((row) => row.credentialSecret);
    for (const name of names) {
      const credential = openCredential((await store.get(name))!.value);
      if (credential.clientSecret) clientSecrets.push(credential.clientSecret.reveal());
      if (credential.management) managementTokens.push(credential.management.registrationAccessToken.reveal());
    }
    for (const registration of registrations) {
      const credentials = await http().get(`/v1/registrations/${registration.id}/credentials`).set(auth).expect(200);
      expect(credentials.body.clientSecret).toEqual(expect.any(String));
      // A verify makes the rotating site issue a new registration access token (saved, never shown).
      record(await http().post(`/v1/registrations/${registration.id}/verify`).set(auth).expect(202));
    }
    // Every other answer: details, lists, audit, onboardings, errors.
    for (const registration of registrations)
      record(await http().get(`/v1/registrations/${registration.id}`).set(auth).expect(200));
    record(await http().get('/v1/registrations').set(auth).expect(200));
    record(await http().get('/v1/audit-events').set(auth).expect(200));
    record(await http().get('/v1/admin/audit-events').set(OPERATOR).expect(200));
    record(await http().get(`/v1/onboardings/${onboarding.body.id}`).set(auth).expect(200));
    record(await http().get(`/v1/admin/health-systems/${healthSystemId}`).set(OPERATOR).expect(200));
    record(await http().get(`/v1/admin/health-systems/${healthSystemId}/webhooks`).set(OPERATOR).expect(200));
    record(await http().get(`/v1/admin/tenants/${tenant.body.id}/api-keys`).set(OPERATOR).expect(200));
    record(
      await http()
        .get('/v1/apps')
        .set({ Authorization: `Bearer ${apiKey}x` })
        .expect(401),
    );
    // The query-string case: refused, and its value never logged.
    record(await http().get(`/v1/apps?access_token=${apiKey}`).expect(400));
    record(await http().get(`/v1/apps?limit=1&api_key=${apiKey}`).set(auth).expect(400));
    // Let the verify jobs finish (the rotating site hands out new management tokens).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const name of names) {
      const credential = openCredential((await store.get(name))!.value);
      if (credential.management) managementTokens.push(credential.management.registrationAccessToken.reveal());
      // Tokens rotated after registration live in the registration's management secret.
      const management = await store.get(secretNames.managementOf(name));
      for (const entry of management ? openManagementEntries(management.value).clients : [])
        managementTokens.push(entry.management.registrationAccessToken.reveal());
    }

    const secrets: Array<[kind: string, value: string]> = [
      ['api key', apiKey],
      ['api key secret part', apiKey.slice('srb_'.length + 32 + 1)],
      ['initial access token', initialAccessTokens[0]!],
      ['webhook signing secret', signingSecret],
      ['webhook signing secret key', signingSecret.replace(/^whsec_/, '')],
      ['local secrets key', TEST_LOCAL_SECRETS_KEY],
      ['local secrets key (hex)', Buffer.from(TEST_LOCAL_SECRETS_KEY, 'base64').toString('hex')],
      ['operator token', TEST_OPERATOR_TOKEN],
      ...clientSecrets.map((value): [string, string] => ['client secret', value]),
      ...managementTokens.map((value): [string, string] => ['registration access token', value]),
    ];
    expect(clientSecrets.length).toBe(2);
    expect(managementTokens.length).toBeGreaterThanOrEqual(2);

    const places: Array<[string, string]> = [
      ['responses', responses.join('\n')],
      ['API logs', broker.api.logs.text],
      ['worker logs', worker.output()],
      ['tables', await dumpDatabaseExceptSecretStore(broker.api.config.database.url)],
      ['Redis', await dumpRedis(broker.api.config.redis.url, broker.env.QUEUE_PREFIX!)],
    ];
    // The worker logged its jobs at debug: an empty log would make its check vacuous.
    expect(worker.output()).toMatch(/"msg"/);
    const found = places.flatMap(([place, text]) =>
      secrets.filter(([, value]) => text.includes(value)).map(([kind]) => `${kind} in ${place}`),
    );
    expect(found).toEqual([]);
  });
});
