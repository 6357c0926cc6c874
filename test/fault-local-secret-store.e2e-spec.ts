import { spawnSync } from 'node:child_process';
import pg from 'pg';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import {
  ALL_SCOPES,
  OPERATOR,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';
import { waitFor } from './support/lifecycle-driver.js';
import { unknownClients } from './support/sandbox-audit.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

/**
 * Local mode (issue 11 item 9): the PostgreSQL database holding the local secret store
 * (`LOCAL_SECRETS_DATABASE_URL`) becomes unreachable, for real: new connections are refused
 * (`ALLOW_CONNECTIONS false`) and the open ones are terminated, while the broker's own database,
 * Redis, the sandbox and two worker processes keep running. The same circuit breaker and
 * compensation as in AWS mode must hold: registrations wait as `waiting_for_secret_store`, all
 * end `registered` once the database is back, and every client at a site is a registered one or
 * a possible-orphan record.
 */
const TIMEOUT_MS = 240_000;
const brokerUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test';
const secretsUrl = (() => {
  const url = new URL(brokerUrl);
  url.pathname = `${url.pathname}_secrets`;
  return url.toString();
})();
const secretsDatabase = decodeURIComponent(new URL(secretsUrl).pathname.slice(1));

/** Runs SQL on the server's maintenance database (not the one being blocked). */
async function admin(sql: string): Promise<void> {
  const url = new URL(brokerUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function blockSecretsDatabase(): Promise<void> {
  await admin(`ALTER DATABASE "${secretsDatabase}" WITH ALLOW_CONNECTIONS false`);
  await admin(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${secretsDatabase}' AND pid <> pg_backend_pid()`,
  );
}

const unblockSecretsDatabase = () => admin(`ALTER DATABASE "${secretsDatabase}" WITH ALLOW_CONNECTIONS true`);

describe('local secret store outage (its own PostgreSQL database unreachable; real workers)', () => {
  let broker: BrokerHarness;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    const migrated = spawnSync(
      process.execPath,
      ['-e', `import('./scripts/db.mjs').then((db) => db.migrate(${JSON.stringify(secretsUrl)}, { recreate: true }))`],
      { encoding: 'utf8' },
    );
    if (migrated.status !== 0) throw new Error(`migrating ${secretsDatabase} failed: ${migrated.stderr}`);
    broker = await startBroker(
      {
        SECRETS_BACKEND: 'local',
        LOCAL_SECRETS_DATABASE_URL: secretsUrl,
        SECRETS_STORE_WAIT_SECONDS: '2',
        SECRETS_CIRCUIT_OPEN_MS: '1000',
        WORKER_CONCURRENCY: '8',
        RECONCILE_INTERVAL_SECONDS: '5',
        RECONCILE_GRACE_SECONDS: '10',
      },
      { inProcessWorker: false },
    );
    workers.push(await startWorkerProcess(broker.env), await startWorkerProcess(broker.env));
  }, 120_000);

  afterAll(async () => {
    await unblockSecretsDatabase().catch(() => undefined);
    await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
    await broker?.close();
  });

  async function onboard(sites: SiteOptions[]) {
    const siteIds = await broker.addSites(sites);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `local-store-${Date.now()}-${Math.random()}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    return { siteIds, auth, onboardingId: accepted.body.id as string };
  }

  async function orphansOf(healthSystemIds: Set<string>) {
    const response = await broker.api
      .http()
      .get('/v1/admin/possible-orphans')
      .query({ limit: 200 })
      .set(OPERATOR)
      .expect(200);
    return (response.body.items as Array<Record<string, any>>).filter((o) => healthSystemIds.has(o.healthSystemId));
  }

  it(
    'holds registrations back while the database is unreachable and registers every one once it is back',
    async () => {
      await blockSecretsDatabase();
      const run = Date.now().toString(36);
      const sites = Array.from({ length: 6 }, (_, i) => ({ name: `local-down-${run}-${i}`, profile: 'open' as const }));
      const { siteIds, auth, onboardingId } = await onboard(sites);

      const waiting = await waitFor(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items.every((r) => r.lastError?.error === 'waiting_for_secret_store'),
      );
      expect(waiting.map((r) => [r.state, r.lastError?.error])).toEqual(
        Array(sites.length).fill(['retrying', 'waiting_for_secret_store']),
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // Nothing reached a site while the store could not take an answer.
      const held = await unknownClients(broker, siteIds, []);
      expect(held.clients).toBe(0);

      await unblockSecretsDatabase();
      expect((await waitForOnboarding(broker.api, auth, onboardingId, 120_000)).completed).toBe(true);
      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations.map((r) => r.state)).toEqual(Array(sites.length).fill('registered'));
      const audit = await unknownClients(broker, siteIds, registrations, await orphansOf(new Set(siteIds.values())));
      expect(audit.unknown).toEqual([]);
      for (const registration of registrations) {
        const credentials = await broker.api
          .http()
          .get(`/v1/registrations/${registration.id}/credentials`)
          .set(auth)
          .expect(200);
        expect(credentials.body.clientId).toBe(registration.clientId);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'loses no credential when the database goes away in the middle of an onboarding (after some POSTs)',
    async () => {
      const run = Date.now().toString(36);
      // Slow sites keep POSTs in flight when the database goes; some answers arrive during the outage.
      const sites: SiteOptions[] = Array.from({ length: 30 }, (_, i) => ({
        name: `local-mid-${run}-${i}`,
        profile: i % 3 === 0 ? 'no-management' : 'slow',
        ...(i % 3 === 0 ? {} : { delayMs: 300 }),
      }));
      const { siteIds, auth, onboardingId } = await onboard(sites);
      await waitFor(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items.some((r) => r.state === 'registered'),
      );
      await blockSecretsDatabase();
      const during = await waitFor(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items.some((r) => r.lastError?.error === 'waiting_for_secret_store'),
      );
      expect(during.some((r) => r.lastError?.error === 'waiting_for_secret_store')).toBe(true);
      // Longer than the in-job wait (2 s): answers that arrived now are compensated or recorded.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      await unblockSecretsDatabase();

      expect((await waitForOnboarding(broker.api, auth, onboardingId, 180_000)).completed).toBe(true);
      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations.filter((r) => r.state !== 'registered')).toEqual([]);
      const orphans = await orphansOf(new Set(siteIds.values()));
      const audit = await unknownClients(broker, siteIds, registrations, orphans);
      // Every client at a site is the registered one or named by a possible-orphan record.
      expect(audit.unknown).toEqual([]);
      expect(audit.registeredSites).toBe(sites.length);
    },
    TIMEOUT_MS,
  );
});
