import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrokerClient } from '#api-client';
import { startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import { TEST_OPERATOR_TOKEN } from './support/test-config.js';
// @ts-expect-error: a plain ESM script, shared with `npm run api-client:generate`
import { DOCUMENT_PATH, SCHEMA_PATH, generateTypes } from '../scripts/api-client.mjs';

/**
 * The API's contract: the live document at /docs-json documents every route completely, and
 * the typed client in libs/api-client was generated from exactly this document. A route added
 * without documentation, or a change without `npm run api-client:generate`, fails here.
 */
jest.setTimeout(120_000);

interface Operation {
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; description?: string; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Routes outside the API's contract on purpose: probes, metrics, the documentation and dashboards themselves. */
const NOT_IN_CONTRACT = [/^\/health\//, /^\/metrics$/, /^\/docs/, /^\/admin\/queues/, /^\/console/, /^\{\/\*splat\}$/];
/** Operations with no credential on purpose. */
const PUBLIC = ['GET /v1/public/apps/{appId}/jwks.json'];

/** What is wrong with one operation's documentation (empty when complete). */
function undocumented(document: Document): string[] {
  const problems: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!METHODS.includes(method)) continue;
      const label = `${method.toUpperCase()} ${path}`;
      if (!operation.summary) problems.push(`${label}: no summary`);
      if (!operation.description) problems.push(`${label}: no description`);
      const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (!success.length) problems.push(`${label}: no 2xx answer`);
      for (const [status, response] of success) {
        // JSON, or the one HTML page (a site's printable registration request), with its schema.
        const content = response.content?.['application/json'] ?? response.content?.['text/html'];
        if (status !== '204' && !content?.schema) {
          problems.push(`${label}: ${status} has no schema`);
        }
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !response.content?.['application/problem+json']) {
          problems.push(`${label}: ${status} is not problem+json`);
        }
      }
      for (const parameter of operation.parameters ?? []) {
        if (!parameter.description || !parameter.schema)
          problems.push(`${label}: parameter ${parameter.name} undescribed`);
      }
      if (operation.requestBody && !operation.requestBody.content?.['application/json']?.schema) {
        problems.push(`${label}: request body has no schema`);
      }
      const secured = (operation.security ?? []).length > 0;
      if (!secured && !PUBLIC.includes(label)) problems.push(`${label}: no security scheme`);
    }
  }
  return problems;
}

describe('API contract', () => {
  let api: ApiHarness;
  let live: Document;

  beforeAll(async () => {
    api = await startApi();
    live = (await api.http().get('/docs-json').expect(200)).body as Document;
  }, 120_000);
  afterAll(() => api.close());

  it('documents every operation: summary, description, parameters, 2xx schemas, problem answers, security', () => {
    expect(undocumented(live)).toEqual([]);
  });

  it('finds an undocumented operation', () => {
    const copy = structuredClone(live);
    const operation = copy.paths['/v1/apps']!.post!;
    delete operation.summary;
    operation.responses['201'] = { description: '' };
    expect(undocumented(copy)).toEqual(['POST /v1/apps: no summary', 'POST /v1/apps: 201 has no schema']);
  });

  it('documents every route the API serves', () => {
    const router = api.app.getHttpAdapter().getInstance().router as {
      stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
    };
    const served = router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route!.methods)
          .filter((method) => METHODS.includes(method))
          .map((method) => ({ method, path: layer.route!.path.replace(/:(\w+)/g, '{$1}') })),
      )
      .filter(({ path }) => !NOT_IN_CONTRACT.some((pattern) => pattern.test(path)));
    expect(served.length).toBeGreaterThan(50);
    const missing = served.filter(({ method, path }) => !live.paths[path]?.[method]);
    expect(missing).toEqual([]);
  });

  it('describes API keys as opaque bearer credentials, not JWTs', () => {
    expect(Object.keys(live.components.securitySchemes).sort()).toEqual(['healthSystem', 'operator', 'tenant']);
    for (const scheme of Object.values(live.components.securitySchemes)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(scheme.bearerFormat).toBeUndefined();
    }
  });

  it('matches the committed document and the generated client (run `npm run api-client:generate`)', () => {
    const committed = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Document;
    expect(live).toEqual(committed);
    const directory = mkdtempSync(join(tmpdir(), 'api-contract-'));
    writeFileSync(join(directory, 'openapi.json'), JSON.stringify(live));
    generateTypes(join(directory, 'openapi.json'), join(directory, 'schema.ts'));
    expect(readFileSync(join(directory, 'schema.ts'), 'utf8')).toBe(readFileSync(SCHEMA_PATH, 'utf8'));
  });

  it('sends the documented examples successfully', async () => {
    const { auth } = await api.tenantWithKey(['apps:write', 'apps:read']);
    const examples = (
      live.paths['/v1/apps']!.post!.requestBody!.content!['application/json'] as {
        examples: Record<string, { value: unknown }>;
      }
    ).examples;
    for (const [name, { value }] of Object.entries(examples)) {
      const response = await api
        .http()
        .post('/v1/apps')
        .set(auth)
        .send(value as object);
      expect({ name, status: response.status, body: response.status === 201 ? null : response.body }).toEqual({
        name,
        status: 201,
        body: null,
      });
    }
  });

  it('serves the typed client: operator and tenant calls type-check and work', async () => {
    const baseUrl = `http://127.0.0.1:${api.config.api.port}`;
    const operator = createBrokerClient({ baseUrl, token: TEST_OPERATOR_TOKEN });
    const tenant = await operator.POST('/v1/admin/tenants', { body: { name: 'Typed client' } });
    expect(tenant.response.status).toBe(201);
    const key = await operator.POST('/v1/admin/tenants/{tenantId}/api-keys', {
      params: { path: { tenantId: tenant.data!.id } },
      body: { name: 'typed', scopes: ['apps:read', 'apps:write'] },
    });
    const client = createBrokerClient({ baseUrl, token: key.data!.token });
    const app = await client.POST('/v1/apps', { body: validAppBody() as never });
    expect(app.data?.clientMetadata.client_name).toBe('Growth Chart');
    const missing = await client.GET('/v1/apps/{appId}', {
      params: { path: { appId: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('not_found');
  });
});
