import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { AuthFailureLimiter } from '../apps/api/src/auth/auth-failure-limiter.js';
import { ALL_SCOPES, OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import { testConfig } from './support/test-config.js';

const problemJson = /^application\/problem\+json/;

// Generous: the machine running the suite may be loaded; no assertion depends on time.
jest.setTimeout(120_000);

describe('API security', () => {
  let api: ApiHarness;
  let tenant: { tenantId: string; auth: { Authorization: string } };

  beforeAll(async () => {
    api = await startApi({ HTTP_HEADERS_TIMEOUT_MS: '1000' });
    tenant = await api.tenantWithKey(ALL_SCOPES, 'Security');
  }, 120_000);
  afterAll(() => api.close());

  describe('credentials in the query string', () => {
    it.each(['access_token', 'token', 'api_key', 'key', 'secret', 'client_secret', 'code', 'password', 'signature'])(
      'are refused with 400 problem+json and never logged: ?%s=',
      async (name) => {
        const key = tenant.auth.Authorization.slice('Bearer '.length);
        const response = await api.http().get(`/v1/apps?limit=5&${name}=${encodeURIComponent(key)}`);
        expect(response.status).toBe(400);
        expect(response.headers['content-type']).toMatch(problemJson);
        expect(response.body).toMatchObject({ code: 'credentials_in_query', instance: '/v1/apps' });
        expect(response.text).not.toContain(key);
        expect(api.logs.text).not.toContain(key.slice(-43));
        expect(api.logs.text).toContain('[REDACTED]');
      },
    );
  });

  describe('bad input answers 4xx problem+json, never 500', () => {
    it.each(['/v1/apps', '/v1/registrations', '/v1/audit-events', '/v1/onboardings'])(
      'a cursor whose id is not a UUID: %s',
      async (path) => {
        for (const raw of [
          '2026-01-01T00:00:00.000Z|not-a-uuid',
          '2026-01-01T00:00:00.000Z|',
          'x|y|z',
          '\u0000|\u0000',
        ]) {
          const cursor = Buffer.from(raw).toString('base64url');
          const response = await api.http().get(path).query({ cursor }).set(tenant.auth);
          expect(response.status).toBe(400);
          expect(response.headers['content-type']).toMatch(problemJson);
          expect(response.body.errors[0].path).toBe('cursor');
        }
      },
    );

    it('a U+0000 or another control character in any name or client metadata string', async () => {
      for (const control of ['\u0000', '\u0007', '\u001b', '\u007f']) {
        const cases: Array<[string, Record<string, string>, object]> = [
          ['/v1/apps', tenant.auth, { ...validAppBody(), name: `bad${control}name` }],
          ['/v1/apps', tenant.auth, validAppBody({ client_name: `x${control}` })],
          ['/v1/apps', tenant.auth, validAppBody({ contacts: [`ops${control}@example.com`] })],
          ['/v1/admin/tenants', OPERATOR, { name: `t${control}` }],
          ['/v1/admin/health-systems', OPERATOR, { name: `h${control}`, fhirBaseUrl: 'https://ctl.example.org/fhir' }],
        ];
        for (const [path, auth, body] of cases) {
          const response = await api.http().post(path).set(auth).send(body);
          expect(response.status).toBe(400);
          expect(response.headers['content-type']).toMatch(problemJson);
          expect(response.body.code).toBe('validation_failed');
        }
      }
    });

    it('a body that is not JSON gets 415, whatever its type', async () => {
      const body = JSON.stringify({ name: 'Growth Chart' });
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data; boundary=x',
      ]) {
        const response = await api.http().post('/v1/apps').set(tenant.auth).set('Content-Type', type).send(body);
        expect(response.status).toBe(415);
        expect(response.headers['content-type']).toMatch(problemJson);
        expect(response.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      }
      const json = await api
        .http()
        .post('/v1/apps')
        .set(tenant.auth)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(validAppBody()));
      expect(json.status).toBe(201);
    });
  });

  describe('response headers', () => {
    it('every JSON answer is nosniff and no-store, the credentials route above all', async () => {
      for (const [path, auth] of [
        ['/v1/apps', tenant.auth],
        [`/v1/registrations/${randomUUID()}/credentials`, tenant.auth],
        ['/v1/admin/tenants', OPERATOR],
        ['/v1/apps', {}],
      ] as const) {
        const response = await api.http().get(path).set(auth);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
    });

    it('/docs and /admin/queues cannot be framed and have a CSP of their own', async () => {
      for (const [path, auth] of [
        ['/docs/', {}],
        ['/admin/queues', OPERATOR],
        ['/admin/queues', {}],
      ] as const) {
        const response = await api.http().get(path).set(auth);
        expect(response.status).toBeLessThan(500);
        expect(response.headers['x-frame-options']).toBe('DENY');
        expect(response.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
        expect(response.headers['content-security-policy']).toMatch(/default-src 'self'/);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      }
    });
  });

  it('closes a connection whose headers never finish', async () => {
    const address = api.app.getHttpServer().address() as { port: number };
    const socket = connect(address.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('GET /v1/apps HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // Bounded by the test timeout, not a fixed sleep: the server must close it on its own.
    await closed;
    expect(socket.destroyed).toBe(true);
  }, 60_000);
});

describe('authentication failure limits', () => {
  const limit = 5;
  // A prefix of its own, so this suite's counters neither see nor leave anything for another suite.
  const prefix = `{sec${randomUUID().slice(0, 8)}}`;
  let replicaA: ApiHarness;
  let replicaB: ApiHarness;

  beforeAll(async () => {
    const overrides = { AUTH_FAILURE_LIMIT: String(limit), AUTH_FAILURE_WINDOW_SECONDS: '60', QUEUE_PREFIX: prefix };
    replicaA = await startApi(overrides);
    replicaB = await startApi(overrides);
  }, 120_000);
  afterAll(async () => {
    await replicaA.close();
    await replicaB.close();
    const redis = new Redis(replicaA.config.redis.url);
    const keys = await redis.keys(`${prefix}:auth-failures:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }, 60_000);

  it('answers 429 with Retry-After once an address has used up its failures, on every replica', async () => {
    const valid = await replicaA.tenantWithKey(['apps:read']);
    const unknown = `srb_${'0'.repeat(32)}_${'A'.repeat(43)}`;
    // Failures spread over two replicas count together (Redis holds the counters).
    for (let attempt = 0; attempt < limit; attempt += 1) {
      const replica = attempt % 2 ? replicaB : replicaA;
      await replica
        .http()
        .get('/v1/apps')
        .set({ Authorization: `Bearer ${unknown}` })
        .expect(401);
    }
    for (const replica of [replicaA, replicaB]) {
      const refused = await replica
        .http()
        .get('/v1/apps')
        .set({ Authorization: `Bearer ${unknown}` });
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(problemJson);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      // While the address is limited, even a valid key from it learns nothing.
      await replica.http().get('/v1/apps').set(valid.auth).expect(429);
      // The operator token is limited per address too.
      await replica.http().get('/v1/admin/tenants').set(OPERATOR).expect(429);
    }
  });

  it('limits a key id whatever address the failures come from', async () => {
    const limiter = new AuthFailureLimiter(testConfig({ AUTH_FAILURE_LIMIT: String(limit), QUEUE_PREFIX: prefix }));
    await limiter.onModuleInit();
    const keyId = randomUUID();
    for (let n = 0; n < limit; n += 1) await limiter.recordFailure(`10.0.0.${n}`, keyId);
    expect(await limiter.retryAfterSeconds('10.9.9.9', keyId)).toBeGreaterThan(0);
    expect(await limiter.retryAfterSeconds('10.9.9.9', randomUUID())).toBe(0);
    await limiter.onModuleDestroy();
  });

  it('lets requests through when Redis cannot be reached (fails open)', async () => {
    const limiter = new AuthFailureLimiter(testConfig({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: prefix }));
    await limiter.onModuleInit();
    await limiter.recordFailure('10.0.0.1', null);
    expect(await limiter.retryAfterSeconds('10.0.0.1', null)).toBe(0);
    await limiter.onModuleDestroy();
  });
});
