import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { ALL_SCOPES, OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import { documentedRoutes, fillPath, label, type Route } from './support/openapi-routes.js';

/**
 * A fuzz generated from the live OpenAPI document: every route gets malformed path ids, query
 * strings and bodies (wrong types, huge and deep JSON, control characters, bad UUIDs and
 * cursors, wrong content types). Every answer must be a 4xx application/problem+json (a 500 is
 * always a bug), and nothing may be written to any table. Runs are bounded so the whole file
 * stays well under two minutes on a loaded machine.
 */
const problemJson = /^application\/problem\+json/;
const RUNS_PER_ROUTE = 12;

const badIds = [
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  '\u0000',
  'a'.repeat(300),
  "1' OR '1'='1",
  '..%2F..%2Fadmin',
];
const badCursors = [
  'garbage',
  Buffer.from('2026-01-01T00:00:00.000Z|not-a-uuid').toString('base64url'),
  Buffer.from('not-a-date|00000000-0000-0000-0000-000000000000').toString('base64url'),
  Buffer.from('\u0000|\u0000').toString('base64url'),
  '%00',
  'x'.repeat(600),
];
const badQueries: Array<Record<string, string>> = [
  ...badCursors.map((cursor) => ({ cursor })),
  { limit: 'abc' },
  { limit: '-1' },
  { limit: '1e9' },
  { limit: '1', cursor: '' },
  { state: '\u0000' },
  { appId: 'not-a-uuid' },
  { healthSystemId: '\u0007' },
  { onboardingId: '\'; DROP TABLE "App"; --' },
  { eventId: 'x' },
];

/** Text JSON nested `depth` levels deep (the body parser reads it; everything after must refuse it). */
const deepJson = (depth: number) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** Bodies no route accepts: wrong types, control characters, huge or deep values. */
const badBody = (base: Record<string, unknown>) =>
  fc.oneof(
    fc.constantFrom<unknown>(null, 42, 'text', true, [], [base]),
    fc.constant(deepJson(5_000)).map((text) => ({ raw: text })),
    fc.constant({ raw: `{"name":"${'x'.repeat(300_000)}"}` }),
    fc
      .tuple(
        fc.constantFrom(...Object.keys(base)),
        fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u009b', '\ud800'),
      )
      .map(([field, control]) => ({
        ...base,
        [field]: typeof base[field] === 'string' ? `${base[field]}${control}` : control,
      })),
    fc.constantFrom(...Object.keys(base)).map((field) => ({ ...base, [field]: { nested: [1, { deeper: true }] } })),
    fc
      .dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
      .map((extra) => ({ ...base, ...extra, '\u0000': 1 })),
  );

async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM "${table}"`);
      counts[table] = Number(rows[0]!.count);
    }
    return counts;
  } finally {
    await client.end();
  }
}

// Generous: the machine running the suite may be loaded; no assertion depends on time.
jest.setTimeout(120_000);

describe('never 500 (fuzz generated from the OpenAPI document)', () => {
  let api: ApiHarness;
  let routes: Route[];
  let tenantAuth: { Authorization: string };
  let siteAuth: { Authorization: string };
  const authFor = (route: Route) =>
    route.auth === 'operator'
      ? OPERATOR
      : route.auth === 'tenant'
        ? tenantAuth
        : route.auth === 'healthSystem'
          ? siteAuth
          : {};
  const ids: Record<string, string> = {};
  const failures: string[] = [];

  /** Sends one request and records anything but a 4xx problem+json. */
  async function expect4xx(route: Route, path: string, what: string, send: (request: any) => any): Promise<void> {
    const auth = authFor(route);
    const response = await send(api.http()[route.method](path).set(auth).set('Idempotency-Key', randomUUID()));
    const type = response.headers['content-type'] ?? '';
    if (response.status < 400 || response.status >= 500 || !problemJson.test(type)) {
      failures.push(`${label(route)} ${what} -> ${response.status} ${type} ${String(response.text).slice(0, 160)}`);
    }
  }

  const realPath = (route: Route) => fillPath(route, (resource) => ids[resource] ?? randomUUID());
  const baseBody = (route: Route): Record<string, unknown> => {
    if (route.template === '/v1/apps' || route.template === '/v1/apps/{appId}') return validAppBody();
    if (route.template.endsWith('/onboardings')) return { healthSystemIds: [ids['health-systems']] };
    if (route.template.endsWith('/api-keys')) return { name: 'fuzz', scopes: ['apps:read'] };
    if (route.template.includes('health-systems') && !route.template.includes('webhooks'))
      return { name: 'Fuzz', fhirBaseUrl: 'https://fuzz.example.org/fhir' };
    if (route.template.endsWith('/webhooks'))
      return { url: 'https://hooks.example.org/x', eventTypes: ['registration.created'] };
    return { name: 'fuzz' };
  };

  beforeAll(async () => {
    api = await startApi();
    const tenant = await api.tenantWithKey(ALL_SCOPES, 'Fuzz');
    tenantAuth = tenant.auth;
    ids.tenants = tenant.tenantId;
    ids['api-keys'] = tenant.keyId;
    const site = await api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'Fuzz site', fhirBaseUrl: `https://fuzz-${randomUUID()}.example.org/fhir` })
      .expect(201);
    ids['health-systems'] = site.body.id;
    const siteKey = await api
      .http()
      .post(`/v1/admin/health-systems/${site.body.id}/api-keys`)
      .set(OPERATOR)
      .send({ name: 'fuzz site' })
      .expect(201);
    siteAuth = { Authorization: `Bearer ${siteKey.body.token}` };
    ids.apps = (await api.http().post('/v1/apps').set(tenantAuth).send(validAppBody()).expect(201)).body.id;
    routes = await documentedRoutes(api);
  }, 120_000);
  afterAll(() => api.close());

  it('documents routes of every kind', () => {
    expect(routes.filter((route) => route.auth === 'tenant').length).toBeGreaterThanOrEqual(10);
    expect(routes.filter((route) => route.auth === 'operator').length).toBeGreaterThanOrEqual(10);
    expect(routes.filter((route) => route.auth === 'healthSystem').length).toBeGreaterThanOrEqual(10);
  });

  it('answers every malformed request with 4xx problem+json and writes nothing', async () => {
    const before = await rowCounts(api.config.database.url);
    for (const route of routes) {
      // Path ids that name nothing, or are not ids at all.
      if (route.parameters.length) {
        for (const bad of badIds) {
          await expect4xx(
            route,
            fillPath(route, () => bad),
            `id ${JSON.stringify(bad)}`,
            (r) => r,
          );
        }
      }
      // Malformed query strings (GET lists and every other route alike).
      if (route.method === 'get' && !route.parameters.includes('appId')) {
        for (const query of badQueries) {
          const response = await api.http().get(realPath(route)).query(query).set(authFor(route));
          // A query a route does not read may be ignored (200); what it reads must be refused as 4xx.
          if (
            response.status >= 500 ||
            (response.status >= 400 && !problemJson.test(response.headers['content-type'] ?? ''))
          ) {
            failures.push(`${label(route)} query ${JSON.stringify(query)} -> ${response.status}`);
          }
        }
      }
      if (!route.hasBody) continue;
      // Bodies in the wrong media type.
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        await expect4xx(route, realPath(route), `as ${type}`, (r) => r.set('Content-Type', type).send('name=x'));
      }
      // Malformed JSON bodies.
      await fc.assert(
        fc.asyncProperty(badBody(baseBody(route)), async (body) => {
          await expect4xx(route, realPath(route), `body ${JSON.stringify(body).slice(0, 80)}`, (r) => {
            const raw = body as { raw?: string } | null;
            const text = raw && typeof raw === 'object' && 'raw' in raw ? raw.raw! : JSON.stringify(body);
            return r.set('Content-Type', 'application/json').send(text);
          });
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(api.config.database.url)).toEqual(before);
  }, 300_000);
});
