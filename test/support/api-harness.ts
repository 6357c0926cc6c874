import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, type AddressInfo } from 'node:net';
import request from 'supertest';
import type { BrokerConfig } from '#config';
import { API_KEY_SCOPES } from '#domain';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { LogCapture } from './log-capture.js';
import { TEST_OPERATOR_TOKEN, testConfig } from './test-config.js';

export const OPERATOR = { Authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };

export interface ApiHarness {
  app: NestExpressApplication;
  config: BrokerConfig;
  logs: LogCapture;
  http: () => ReturnType<typeof request>;
  /** A new tenant and an API key with the given scopes; returns the Authorization header for it. */
  tenantWithKey(
    scopes: string[],
    name?: string,
  ): Promise<{ tenantId: string; keyId: string; auth: { Authorization: string } }>;
  close(): Promise<void>;
}

export const ALL_SCOPES: string[] = [...API_KEY_SCOPES];

/** The real API on a random port, against the test database and Redis, logging at debug into memory. */
export async function startApi(overrides: Record<string, string> = {}): Promise<ApiHarness> {
  // A known port before start-up, so PUBLIC_BASE_URL (the managed keys' jwks_uri) is right.
  const port = await freePort();
  const config = testConfig({
    LOG_LEVEL: 'debug',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ...overrides,
  });
  const logs = new LogCapture();
  const app = await createApiApp(config, logs);
  await app.listen(port, '127.0.0.1');
  const http = () => request(app.getHttpServer());
  return {
    app,
    config,
    logs,
    http,
    async tenantWithKey(scopes, name = 'Tenant') {
      const tenant = await http().post('/v1/admin/tenants').set(OPERATOR).send({ name }).expect(201);
      const key = await http()
        .post(`/v1/admin/tenants/${tenant.body.id}/api-keys`)
        .set(OPERATOR)
        .send({ name: 'test key', scopes })
        .expect(201);
      return { tenantId: tenant.body.id, keyId: key.body.id, auth: { Authorization: `Bearer ${key.body.token}` } };
    },
    close: () => app.close(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Client metadata every validation test starts from. */
export function validAppBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Growth Chart',
    clientMetadata: {
      client_name: 'Growth Chart',
      redirect_uris: ['https://growth.example.com/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'launch openid fhirUser patient/*.rs',
      contacts: ['ops@growth.example.com'],
      software_id: 'growth-chart',
      software_version: '1.0.0',
      ...overrides,
    },
  };
}
