import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { PrismaService } from '#persistence';
import { LIFECYCLE_SCHEDULERS, LifecycleJob, QueueName } from '#queue';
import { createWorkerContext } from '../apps/worker/src/bootstrap.js';
import { ALL_SCOPES, OPERATOR, startBroker, waitForOnboarding, type BrokerHarness } from './support/broker-harness.js';
import { testConfig } from './support/test-config.js';

/**
 * Schedulers: several workers (and restarts) share ONE scheduler per sweep, so a period has one
 * run however many workers start. Also: disabling a tenant offboards everything it has.
 */

const SWEEP_SECONDS = 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lifecycle schedulers and tenant offboarding', () => {
  let broker: BrokerHarness;
  let queue: Queue;
  const extraWorkers: INestApplicationContext[] = [];

  beforeAll(async () => {
    broker = await startBroker({ ROTATION_SWEEP_INTERVAL_SECONDS: String(SWEEP_SECONDS) });
    queue = new Queue(QueueName.Lifecycle, {
      connection: { url: broker.api.config.redis.url },
      prefix: broker.env.QUEUE_PREFIX,
    });
  }, 30_000);

  afterAll(async () => {
    for (const worker of extraWorkers) await worker.close();
    await queue?.close();
    await broker?.close();
  });

  async function startWorker(): Promise<INestApplicationContext> {
    const worker = await createWorkerContext(testConfig({ ...broker.env }));
    await worker.init();
    // Prisma loads its query compiler lazily with import(); Jest refuses that from a callback
    // outside the test's own code (a BullMQ job), so the first query happens here.
    await worker.get(PrismaService).$queryRawUnsafe('SELECT 1');
    extraWorkers.push(worker);
    return worker;
  }

  /** Runs of the rotation sweep, by the moment each was scheduled for (its id is `repeat:<scheduler>:<millis>`). */
  async function sweepRuns(): Promise<number[]> {
    const jobs = await queue.getJobs(['completed', 'failed', 'active']);
    return jobs
      .filter((job) => job.name === LifecycleJob.RotationSweep)
      .map((job) => Number(job.id!.split(':').at(-1)))
      .sort((a, b) => a - b);
  }

  it('runs each sweep once per period with three workers, and keeps doing so across a restart', async () => {
    const second = await startWorker();
    await startWorker();
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(Object.values(LIFECYCLE_SCHEDULERS).sort());

    const before = (await sweepRuns()).length;
    await sleep(6_000);
    await second.close(); // a restart: stop one worker, start another
    extraWorkers.splice(extraWorkers.indexOf(second), 1);
    await startWorker();
    await sleep(4_000);

    // The property, not a count in a time window (a loaded machine delays runs and the first
    // ones started before this test): no two runs ever share a period. Each run's id names the
    // moment it was scheduled for, so every run must fall in a period of its own and consecutive
    // runs must be a full period apart, however many workers raced for them.
    const runs = await sweepRuns();
    const periodMs = SWEEP_SECONDS * 1000;
    expect(new Set(runs.map((at) => Math.floor(at / periodMs))).size).toBe(runs.length);
    const gaps = runs.slice(1).map((at, i) => at - runs[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(periodMs);
    // And the schedule kept going through the restart.
    expect(runs.length).toBeGreaterThan(before + 1);
    expect((await queue.getJobSchedulers()).length).toBe(Object.keys(LIFECYCLE_SCHEDULERS).length);
  }, 40_000);

  it('offboards every registration of a disabled tenant and leaves no client at the sites', async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const sites = [0, 1, 2].map((i) => ({ name: `lcs-open-${i}-${run}`, profile: 'open' as const }));
    const siteIds = await broker.addSites(sites);
    const { tenantId, auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Leaving tenant');
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Leaving',
        clientMetadata: { client_name: 'Leaving', grant_types: ['client_credentials'], scope: 'system/*.rs' },
      })
      .expect(201);
    const onboarding = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `leaving-${run}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    await waitForOnboarding(broker.api, auth, onboarding.body.id);
    const clientCount = async () => {
      let total = 0;
      for (const site of sites) {
        const body = (await fetch(`${broker.sandbox.url}/sandbox/sites/${site.name}/clients`).then((r) =>
          r.json(),
        )) as { clients: unknown[] };
        total += body.clients.length;
      }
      return total;
    };
    expect(await clientCount()).toBe(3);

    await broker.api.http().post(`/v1/admin/tenants/${tenantId}/disable`).set(OPERATOR).expect(200);
    const deadline = Date.now() + 30_000;
    let deleted: string[] = [];
    while (Date.now() < deadline) {
      // The tenant's keys no longer work: the operator's audit view shows the offboarding.
      const audit = await broker.api
        .http()
        .get('/v1/admin/audit-events')
        .query({ limit: 200 })
        .set(OPERATOR)
        .expect(200);
      deleted = audit.body.items
        .filter(
          (e: { tenantId: string; action: string }) => e.tenantId === tenantId && e.action === 'registration.deleted',
        )
        .map((e: { registrationId: string }) => e.registrationId);
      if (deleted.length === 3) break;
      await sleep(250);
    }
    expect(deleted).toHaveLength(3);
    expect(await clientCount()).toBe(0);
  }, 60_000);
});
