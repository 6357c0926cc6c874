import { Queue } from 'bullmq';
import {
  ALL_SCOPES,
  OPERATOR,
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
import { LIFECYCLE_SCHEDULERS, QueueName, RECONCILER_SCHEDULER_ID } from '#queue';

const TIMEOUT_MS = 240_000;

const SETTLED = ['registered', 'failed', 'orphan_suspected'];

/**
 * The reconciler runs every 5 s and presumes a job lost after 10 s without progress, so lost work
 * is repaired in seconds (production: 30 s and 2 min).
 */
const FAST_RECONCILER = { RECONCILE_INTERVAL_SECONDS: '5', RECONCILE_GRACE_SECONDS: '10' };

/** Every open possible-orphan record (operator API, all pages). */
async function possibleOrphans(broker: BrokerHarness): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let cursor: string | null = null;
  do {
    const response: { body: { items: Array<Record<string, any>>; nextCursor: string | null } } = await broker.api
      .http()
      .get('/v1/admin/possible-orphans')
      .query({ limit: 200, ...(cursor ? { cursor } : {}) })
      .set(OPERATOR)
      .expect(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
  } while (cursor);
  return items;
}

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

  it('loses nothing and leaves nothing waiting on a person when two workers are killed 20 times at random during 200 registrations', async () => {
    broker = await startBroker({ WORKER_CONCURRENCY: '8', ...FAST_RECONCILER }, { inProcessWorker: false });
    const run = Date.now().toString(36);
    // Slow sites keep registrations in flight at the moments of the kills.
    const { siteIds, auth, onboardingId } = await onboard(
      broker,
      sites(`kill-${run}`, 200, { profile: 'slow', delayMs: 100 }),
    );
    workers.push(await startWorkerProcess(broker.env), await startWorkerProcess(broker.env));
    for (let kill = 0; kill < 20; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1_000));
      const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0]!;
      await victim.kill('SIGKILL');
      workers.push(await startWorkerProcess(broker.env));
    }
    const progress = await waitForOnboarding(broker.api, auth, onboardingId, 300_000);
    expect(progress.completed).toBe(true);

    const registrations = await listRegistrations(broker.api, auth, { onboardingId });
    expect(registrations).toHaveLength(200);
    // Nothing waits on a person: every registration registered, none orphan_suspected or failed.
    expect(registrations.filter((r) => r.state !== 'registered')).toEqual([]);
    const healthSystems = new Set(siteIds.values());
    const orphans = (await possibleOrphans(broker)).filter((o) => healthSystems.has(o.healthSystemId));
    // Every possible-orphan record names a real attempt of its registration.
    for (const orphan of orphans) {
      const detail = await broker.api.http().get(`/v1/registrations/${orphan.registrationId}`).set(auth).expect(200);
      expect(detail.body.attempts.find((a: { id: string }) => a.id === orphan.attemptId)).toMatchObject({
        action: 'register',
        outcome: 'orphan_suspected',
      });
    }
    // Every client at a site is the registered one or a recorded possible orphan.
    const audit = await unknownClients(broker, siteIds, registrations, orphans);
    expect(audit.unknown).toEqual([]);
    expect(audit.registeredSites).toBe(200);
    expect(audit.clients).toBeGreaterThanOrEqual(200 + orphans.filter((o) => o.clientId).length);
    expect(audit.clients).toBeLessThanOrEqual(200 + orphans.length);
  }, 420_000);

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
  async function startOnPrivateRedis(
    overrides: Record<string, string> = {},
  ): Promise<{ redis: PrivateRedis; harness: BrokerHarness }> {
    const redis = (privateRedis = await startPrivateRedis());
    const harness = (broker = await startBroker(
      { REDIS_URL: redis.url, WORKER_CONCURRENCY: '4', ...overrides },
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
      const healthSystems = new Set(siteIds.values());
      const orphans = (await possibleOrphans(broker)).filter((o) => healthSystems.has(o.healthSystemId));
      const audit = await unknownClients(broker, siteIds, registrations, orphans);
      expect(audit.unknown).toEqual([]);
      expect(audit.registeredSites + audit.orphanSuspectedSites).toBe(60);
    },
    TIMEOUT_MS,
  );

  it(
    'repairs a Redis that lost all its data (FLUSHALL) mid-onboarding, schedules included, with the workers left running',
    async () => {
      const { redis, harness: broker } = await startOnPrivateRedis(FAST_RECONCILER);
      const second = await startWorkerProcess(broker.env);
      workers.push(second);
      const { siteIds, auth, onboardingId } = await onboard(
        broker,
        sites(`flush-${Date.now().toString(36)}`, 60, { profile: 'slow', delayMs: 150 }),
      );
      await waitForCount(broker, auth, onboardingId, 'registered', 10);
      const queue = new Queue(QueueName.Registration, {
        connection: { url: redis.url },
        prefix: broker.env.QUEUE_PREFIX,
      });
      const lifecycle = new Queue(QueueName.Lifecycle, {
        connection: { url: redis.url },
        prefix: broker.env.QUEUE_PREFIX,
      });
      try {
        expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([RECONCILER_SCHEDULER_ID]);
        redis.flushAll();
        expect(await queue.getJobSchedulers()).toEqual([]);

        // Nobody restarts anything: the workers put the schedules back and the reconciler the jobs.
        expect((await waitForOnboarding(broker.api, auth, onboardingId, 180_000)).completed).toBe(true);
        const registrations = await listRegistrations(broker.api, auth, { onboardingId });
        expect(registrations.map((r) => r.state)).toEqual(Array(60).fill('registered'));
        const healthSystems = new Set(siteIds.values());
        const orphans = (await possibleOrphans(broker)).filter((o) => healthSystems.has(o.healthSystemId));
        expect((await unknownClients(broker, siteIds, registrations, orphans)).unknown).toEqual([]);
        expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([RECONCILER_SCHEDULER_ID]);
        expect((await lifecycle.getJobSchedulers()).map((s) => s.key).sort()).toEqual(
          Object.values(LIFECYCLE_SCHEDULERS).sort(),
        );
        for (const worker of workers) expect(worker.child.exitCode).toBeNull();
      } finally {
        await queue.close();
        await lifecycle.close();
      }
    },
    TIMEOUT_MS,
  );
});
