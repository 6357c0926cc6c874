import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startSandbox, type Sandbox, type SiteInfo, type SiteOptions } from '../../apps/sandbox/src/sandbox.js';
import { createWorkerContext } from '../../apps/worker/src/bootstrap.js';
import { ALL_SCOPES, OPERATOR, startApi, type ApiHarness } from './api-harness.js';
import { LogCapture } from './log-capture.js';
import { testConfig } from './test-config.js';

/**
 * The whole broker in one process: a sandbox EHR, the API and a worker, with a queue
 * prefix of their own so suites never see each other's jobs.
 */
export interface BrokerHarness {
  sandbox: Sandbox;
  api: ApiHarness;
  /** The in-process worker; absent when the test runs worker processes itself. */
  worker?: INestApplicationContext;
  workerLogs: LogCapture;
  env: Record<string, string>;
  /** Adds sandbox sites and registers each as a health system; returns their ids by site name. */
  addSites(
    sites: SiteOptions[],
    options?: { initialAccessToken?: (site: SiteInfo) => string | undefined },
  ): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export async function startBroker(
  overrides: Record<string, string> = {},
  options: { inProcessWorker?: boolean } = {},
): Promise<BrokerHarness> {
  const sandbox = await startSandbox({ port: 0 });
  const env: Record<string, string> = {
    OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${sandbox.port}`,
    QUEUE_PREFIX: `{test-${randomBytes(4).toString('hex')}}`,
    WORKER_CONCURRENCY: '16',
    ...overrides,
  };
  const api = await startApi(env);
  // Workers build the managed keys' jwks_uri from the API's public URL.
  Object.assign(env, { PUBLIC_BASE_URL: api.config.api.publicBaseUrl });
  const workerLogs = new LogCapture();
  const worker =
    options.inProcessWorker === false
      ? undefined
      : await createWorkerContext(testConfig({ LOG_LEVEL: 'debug', ...env }), workerLogs);
  await worker?.init();
  return {
    sandbox,
    api,
    worker,
    workerLogs,
    env,
    async addSites(sites, options = {}) {
      const ids = new Map<string, string>();
      for (const site of sites) {
        const info = sandbox.addSite(site);
        const initialAccessToken = options.initialAccessToken
          ? options.initialAccessToken(info)
          : info.initialAccessToken;
        const created = await request(api.app.getHttpServer())
          .post('/v1/admin/health-systems')
          .set(OPERATOR)
          .send({ name: `Sandbox ${info.name}`, fhirBaseUrl: info.fhirBaseUrl, vendor: 'sandbox', initialAccessToken })
          .expect(201);
        ids.set(info.name, created.body.id);
      }
      return ids;
    },
    async close() {
      await worker?.close();
      await api.close();
      await sandbox.close();
    },
  };
}

export { ALL_SCOPES, OPERATOR };

/** Polls `GET /v1/onboardings/:id` until every registration is settled or the deadline passes. */
export async function waitForOnboarding(
  api: ApiHarness,
  auth: { Authorization: string },
  onboardingId: string,
  timeoutMs = 60_000,
): Promise<{ counts: Record<string, number>; completed: boolean; total: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api.http().get(`/v1/onboardings/${onboardingId}`).set(auth).expect(200);
    if (response.body.completed || Date.now() > deadline) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every registration of an onboarding, all pages. */
export async function listRegistrations(
  api: ApiHarness,
  auth: { Authorization: string },
  query: Record<string, string>,
): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let cursor: string | null = null;
  do {
    const response: { body: { items: Array<Record<string, any>>; nextCursor: string | null } } = await api
      .http()
      .get('/v1/registrations')
      .query({ ...query, limit: 200, ...(cursor ? { cursor } : {}) })
      .set(auth)
      .expect(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
  } while (cursor);
  return items;
}
