import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { unknownClients } from './support/sandbox-audit.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';

const TIMEOUT_MS = 240_000;

const SETTLED = ['registered', 'failed', 'orphan_suspected'];

async function onboard(broker: BrokerHarness, sites: SiteOptions[]) {
  const siteIds = await broker.addSites(sites);
  const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
  const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
  const accepted = await broker.api
    .http()
    .post(`/v1/apps/${app.body.id}/onboardings`)
    .set(auth)
    .set('Idempotency-Key', `fault-${Date.now()}`)
    .send({ healthSystemIds: [...siteIds.values()] })
    .expect(202);
  return { siteIds, auth, onboardingId: accepted.body.id as string };
}

async function waitForCount(
  broker: BrokerHarness,
  auth: { Authorization: string },
  onboardingId: string,
  state: string,
  atLeast: number,
) {
  for (;;) {
    const progress = await broker.api.http().get(`/v1/onboardings/${onboardingId}`).set(auth).expect(200);
    if ((progress.body.counts[state] ?? 0) >= atLeast) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sites = (prefix: string, count: number, options: Omit<SiteOptions, 'name'> = { profile: 'open' }) =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, ...options }) as SiteOptions);

describe('fault tolerance (worker processes)', () => {
  let broker: BrokerHarness | undefined;
  let privateRedis: PrivateRedis | undefined;
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill('SIGKILL')));
    await broker?.close();
    broker = undefined;
    await privateRedis?.stop();
    privateRedis = undefined;
  });

  it(
    'recovers from a worker killed with SIGKILL in the middle of 200 registrations',
    async () => {
      broker = await startBroker({ WORKER_CONCURRENCY: '8' }, { inProcessWorker: false });
      const run = Date.now().toString(36);
      // Slow sites keep registrations in flight at the moment of the kill.
      const { siteIds, auth, onboardingId } = await onboard(
        broker,
        sites(`kill-${run}`, 200, { profile: 'slow', delayMs: 100 }),
      );
      const first = await startWorkerProcess(broker.env);
      workers.push(first);
      await waitForCount(broker, auth, onboardingId, 'registered', 50);
      await first.kill('SIGKILL');

      workers.push(await startWorkerProcess(broker.env));
      const progress = await waitForOnboarding(broker.api, auth, onboardingId, 180_000);
      expect(progress.completed).toBe(true);

      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations).toHaveLength(200);
      expect(registrations.filter((r) => !SETTLED.includes(r.state))).toEqual([]);
      const audit = await unknownClients(broker, siteIds, registrations);
      expect(audit.unknown).toEqual([]);
      // Every orphan_suspected row names its interrupted attempt.
      for (const registration of registrations.filter((r) => r.state === 'orphan_suspected')) {
        expect(registration.lastError.error).toBe('orphan_suspected');
        expect(registration.lastError.error_description).toMatch(/attempt [0-9a-f-]{36}/);
      }
      expect(audit.registeredSites + audit.orphanSuspectedSites).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'shares one queue between two worker processes without registering anything twice',
    async () => {
      broker = await startBroker({ WORKER_CONCURRENCY: '8' }, { inProcessWorker: false });
      workers.push(await startWorkerProcess(broker.env), await startWorkerProcess(broker.env));
      const { siteIds, auth, onboardingId } = await onboard(broker, sites(`two-${Date.now().toString(36)}`, 100));
      expect((await waitForOnboarding(broker.api, auth, onboardingId, 120_000)).completed).toBe(true);

      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations.every((r) => r.state === 'registered')).toBe(true);
      expect((await unknownClients(broker, siteIds, registrations)).unknown).toEqual([]);
      // Both processes did work.
      for (const worker of workers) expect(worker.output()).toContain('job completed');
    },
    TIMEOUT_MS,
  );

  /**
   * A broker and one worker process on a Redis of their own, which the test may stop and start
   * (kept in the suite's variables too, for afterEach to clean up).
   */
  async function startOnPrivateRedis(): Promise<{ redis: PrivateRedis; harness: BrokerHarness }> {
    const redis = (privateRedis = await startPrivateRedis());
    const harness = (broker = await startBroker(
      { REDIS_URL: redis.url, WORKER_CONCURRENCY: '4' },
      { inProcessWorker: false },
    ));
    workers.push(await startWorkerProcess(harness.env));
    return { redis, harness };
  }

  it(
    'answers an onboarding while Redis is down, and registers every site once Redis is back',
    async () => {
      const { redis, harness: broker } = await startOnPrivateRedis();
      // The directory is built (and discovered) while Redis is up; only the onboarding meets it down.
      const siteIds = await broker.addSites(sites(`redis-down-${Date.now().toString(36)}`, 20));
      const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
      const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);

      await redis.stop();
      const accepted = await broker.api
        .http()
        .post(`/v1/apps/${app.body.id}/onboardings`)
        .set(auth)
        .set('Idempotency-Key', `redis-down-${Date.now()}`)
        .send({ healthSystemIds: [...siteIds.values()] })
        .expect(202);
      const onboardingId = accepted.body.id as string;
      const waiting = await listRegistrations(broker.api, auth, { onboardingId });
      expect(waiting.map((r) => r.state)).toEqual(Array(20).fill('queued'));
      await redis.start();

      // Nobody replays the request: the broker finds its way on its own.
      expect((await waitForOnboarding(broker.api, auth, onboardingId, 200_000)).completed).toBe(true);
      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations.map((r) => r.state)).toEqual(Array(20).fill('registered'));
      const audit = await unknownClients(broker, siteIds, registrations);
      expect(audit.unknown).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'loses nothing when Redis restarts in the middle of a run',
    async () => {
      const { redis, harness: broker } = await startOnPrivateRedis();
      const { siteIds, auth, onboardingId } = await onboard(
        broker,
        sites(`redis-${Date.now().toString(36)}`, 60, { profile: 'slow', delayMs: 150 }),
      );
      await waitForCount(broker, auth, onboardingId, 'registered', 10);
      await redis.restart();

      expect((await waitForOnboarding(broker.api, auth, onboardingId, 180_000)).completed).toBe(true);
      const registrations = await listRegistrations(broker.api, auth, { onboardingId });
      expect(registrations.filter((r) => !SETTLED.includes(r.state))).toEqual([]);
      const audit = await unknownClients(broker, siteIds, registrations);
      expect(audit.unknown).toEqual([]);
      expect(audit.registeredSites + audit.orphanSuspectedSites).toBe(60);
    },
    TIMEOUT_MS,
  );
});
