import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { trustedTenantId, type TenantId } from '#domain';
import {
  AppRepository,
  AppSigningKeyRepository,
  AuditRepository,
  PrismaService,
  RegistrationRepository,
} from '#persistence';
import { LifecycleJob, LifecycleJobs, QueueName } from '#queue';
import { LifecycleSweeps, ManagedKeysService } from '#registration';
import { LocalSecretStore } from '#secrets';
import { TEST_LOCAL_SECRETS_KEY, testConfig } from './support/test-config.js';

/**
 * The verify and rotation sweeps against the real PostgreSQL and Redis, with no worker: which
 * registrations they select (only the due ones), the cap on pending jobs that ends a run, the next
 * run continuing with what is still due, and one job per registration however often they run.
 * The sweeps span every tenant, so this file has a database of its own (`<test db>_sweeps`):
 * registrations left by other files would be due too.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const CAP = 3;

const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test');
databaseUrl.pathname = `${databaseUrl.pathname}_sweeps`;
const config = testConfig({
  DATABASE_URL: databaseUrl.toString(),
  VERIFY_INTERVAL_SECONDS: String(DAY / 1000),
  ROTATION_WINDOW_SECONDS: String((7 * DAY) / 1000),
  ROTATION_REMAINING_FRACTION: '0.2',
  SWEEP_MAX_WAITING_JOBS: String(CAP),
});

let prisma: PrismaService;
let queue: Queue;
let sweeps: LifecycleSweeps;
let tenantId: TenantId;
let appId: string;

beforeAll(async () => {
  const { migrate } = (await import(pathToFileURL(resolve('scripts/db.mjs')).href)) as {
    migrate: (url: string, options: { recreate: boolean }) => Promise<void>;
  };
  await migrate(config.database.url, { recreate: true });
  prisma = new PrismaService(config);
  queue = new Queue(QueueName.Lifecycle, { connection: { url: config.redis.url }, prefix: `sweeps-${randomUUID()}` });
  const secrets = new LocalSecretStore(prisma, Buffer.from(TEST_LOCAL_SECRETS_KEY, 'base64'));
  const audit = new AuditRepository(prisma);
  const managedKeys = new ManagedKeysService(
    new AppSigningKeyRepository(prisma),
    new AppRepository(prisma),
    audit,
    secrets,
    config,
  );
  sweeps = new LifecycleSweeps(new RegistrationRepository(prisma), new LifecycleJobs(queue), managedKeys, config);
  tenantId = trustedTenantId(randomUUID());
  appId = randomUUID();
  await prisma.tenant.create({ data: { id: tenantId, name: 'sweeps' } });
  await prisma.app.create({ data: { id: appId, tenantId, name: 'sweeps', clientMetadata: { client_name: 'x' } } });
}, 180_000);

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  await prisma?.$disconnect();
});

beforeEach(async () => {
  await queue.obliterate({ force: true });
  await prisma.$executeRawUnsafe('TRUNCATE "Registration" CASCADE');
});

interface Row {
  state?: string;
  credential?: boolean;
  lastVerifiedAt?: Date | null;
  secret?: { issuedAt: Date; expiresAt: Date };
}

/** One registration at a site of its own, as a settled sweep candidate unless `row` says otherwise. */
async function registration(row: Row = {}): Promise<string> {
  const id = randomUUID();
  await prisma.healthSystem.create({ data: { id, name: id, fhirBaseUrl: `https://${id}.example.org/fhir` } });
  await prisma.registration.create({
    data: {
      id,
      tenantId,
      appId,
      healthSystemId: id,
      state: row.state ?? 'registered',
      metadataVersion: 1,
      requestedMetadata: {},
      clientId: `client-${id}`,
      clientIdIssuedAt: new Date(Date.now() - 400 * DAY),
      credentialSecret: row.credential === false ? null : `broker/test/${id}`,
      lastVerifiedAt: row.lastVerifiedAt === undefined ? new Date() : row.lastVerifiedAt,
      clientSecretIssuedAt: row.secret?.issuedAt ?? null,
      clientSecretExpiresAt: row.secret?.expiresAt ?? null,
    },
  });
  return id;
}

const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

/** The registrations with a pending job of `action`, and the number of jobs (one each, or a duplicate). */
async function pending(action: LifecycleJob): Promise<{ ids: string[]; jobs: number }> {
  const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter((job) => job.name === action);
  const ids = jobs.map((job) => (job.data as { registrationId: string }).registrationId).sort();
  return { ids, jobs: jobs.length };
}

/** What a worker does: takes the pending jobs and marks their registrations verified. */
async function workOff(): Promise<void> {
  for (const job of await queue.getJobs(['waiting', 'prioritized', 'delayed'])) {
    const { registrationId } = job.data as { registrationId: string };
    await prisma.registration.update({ where: { id: registrationId }, data: { lastVerifiedAt: new Date() } });
    await job.remove();
  }
}

describe('verify sweep', () => {
  it('enqueues only registrations with a client not verified within the interval, once each', async () => {
    const due = [
      await registration({ lastVerifiedAt: null }),
      await registration({ lastVerifiedAt: ago(DAY + MINUTE) }),
      await registration({ state: 'failed', lastVerifiedAt: ago(3 * DAY) }),
    ];
    await registration({ lastVerifiedAt: ago(DAY - 10 * MINUTE) }); // verified recently
    await registration({ state: 'deleted', lastVerifiedAt: ago(3 * DAY) });
    await registration({ state: 'verifying', lastVerifiedAt: ago(3 * DAY) }); // a job is at work
    await registration({ state: 'rotating', lastVerifiedAt: null });
    await registration({ state: 'queued', lastVerifiedAt: null, credential: false });
    await registration({ credential: false, lastVerifiedAt: null }); // no client at the site

    expect(await sweeps.verifyDue()).toEqual({ enqueued: 3, stoppedAtCap: true });
    expect(await pending(LifecycleJob.Verify)).toEqual({ ids: [...due].sort(), jobs: 3 });
    // A busy site left them unverified: the next run offers them again and adds nothing.
    expect((await sweeps.verifyDue()).stoppedAtCap).toBe(true);
    expect(await pending(LifecycleJob.Verify)).toEqual({ ids: [...due].sort(), jobs: 3 });
  });

  it('stops at the cap of pending jobs, and the next runs continue with what is still due', async () => {
    const due: string[] = [];
    for (let i = 0; i < 7; i++) due.push(await registration({ lastVerifiedAt: ago(DAY + i * MINUTE) }));
    await registration({ lastVerifiedAt: ago(MINUTE) });
    const oldestFirst = [...due].reverse();

    expect(await sweeps.verifyDue()).toEqual({ enqueued: CAP, stoppedAtCap: true });
    const first = await pending(LifecycleJob.Verify);
    expect(first).toEqual({ ids: oldestFirst.slice(0, CAP).sort(), jobs: CAP });
    expect(await sweeps.verifyDue()).toEqual({ enqueued: 0, stoppedAtCap: true });
    expect(await pending(LifecycleJob.Verify)).toEqual(first);

    const seen = new Set(first.ids);
    for (let run = 0; run < 5 && seen.size < due.length; run++) {
      await workOff();
      await sweeps.verifyDue();
      const { ids, jobs } = await pending(LifecycleJob.Verify);
      expect(jobs).toBeLessThanOrEqual(CAP);
      expect(jobs).toBe(ids.length);
      for (const id of ids) {
        expect(seen.has(id)).toBe(false); // verified registrations are not due again
        seen.add(id);
      }
    }
    expect([...seen].sort()).toEqual([...due].sort());
    await workOff();
    expect(await sweeps.verifyDue()).toEqual({ enqueued: 0, stoppedAtCap: false });
  });

  it('counts other pending lifecycle jobs against the cap', async () => {
    await registration({ lastVerifiedAt: null });
    await queue.add(LifecycleJob.Delete, { tenantId, registrationId: randomUUID(), healthSystemId: randomUUID() });
    await queue.add(
      LifecycleJob.Update,
      { tenantId, registrationId: randomUUID(), healthSystemId: randomUUID() },
      { delay: DAY },
    );
    expect(await sweeps.verifyDue()).toEqual({ enqueued: 1, stoppedAtCap: true });
    await queue.add(LifecycleJob.Delete, { tenantId, registrationId: randomUUID(), healthSystemId: randomUUID() });
    await registration({ lastVerifiedAt: null });
    expect(await sweeps.verifyDue()).toEqual({ enqueued: 0, stoppedAtCap: true });
  });
});

describe('rotation sweep', () => {
  it('enqueues only secrets within the window and past the fraction of their lifetime', async () => {
    const due = [
      // A one-year secret with a day left: inside the 7-day window.
      await registration({ secret: { issuedAt: ago(364 * DAY), expiresAt: ahead(DAY) } }),
      // A one-hour secret with 5 minutes left: under 20% of its lifetime.
      await registration({ secret: { issuedAt: ago(55 * MINUTE), expiresAt: ahead(5 * MINUTE) } }),
    ];
    // A one-hour secret with 30 minutes left: inside the window, but half its lifetime is left.
    await registration({ secret: { issuedAt: ago(30 * MINUTE), expiresAt: ahead(30 * MINUTE) } });
    await registration({ secret: { issuedAt: ago(300 * DAY), expiresAt: ahead(30 * DAY) } }); // outside the window
    await registration({ state: 'rotating', secret: { issuedAt: ago(364 * DAY), expiresAt: ahead(DAY) } });
    await registration({ state: 'deleted', secret: { issuedAt: ago(364 * DAY), expiresAt: ahead(DAY) } });
    await registration(); // a secret that never expires

    expect(await sweeps.rotateExpiring()).toEqual({ enqueued: 2, stoppedAtCap: false, signingKeysRotated: 0 });
    expect(await pending(LifecycleJob.Rotate)).toEqual({ ids: [...due].sort(), jobs: 2 });
    await sweeps.rotateExpiring();
    expect(await pending(LifecycleJob.Rotate)).toEqual({ ids: [...due].sort(), jobs: 2 });
  });

  it('takes the soonest expiry first when the cap cuts the run', async () => {
    const bySoonest: string[] = [];
    for (let i = 0; i < 5; i++) {
      bySoonest.push(await registration({ secret: { issuedAt: ago(300 * DAY), expiresAt: ahead((i + 1) * DAY) } }));
    }
    expect(await sweeps.rotateExpiring()).toMatchObject({ enqueued: CAP, stoppedAtCap: true });
    expect((await pending(LifecycleJob.Rotate)).ids).toEqual(bySoonest.slice(0, CAP).sort());
  });
});
