/**
 * `npx tsc -p tsconfig.build.json && node dist/bench/lifecycle-sweeps.js [--registrations 500] [--sites 50] [--concurrency 32]`
 *
 * How long a full verify sweep and a full rotation sweep take over N registrations: the sweep
 * enqueues one job per registration, the worker runs them (RFC 7592 GET + drift + token request
 * for verify; RFC 7592 PUT + staged secret + token request + promote for rotation), and the
 * clock stops when the last registration has recorded its result. Two verify sweeps: the first
 * after registration records each client's management baseline (a change: the full protocol),
 * the second is the steady state of a fleet verified every day (clean verifies).
 *
 * The worker runs in this process, the sandbox in its own (`dist/apps/sandbox/src/main.js`):
 * in one process the sandbox's token requests (oidc-provider) would compete with the worker
 * for one event loop, and the figures would not be one worker's. CPU per verify is measured for
 * this process and for the PostgreSQL backends of the bench's database.
 *
 * The database is `<DATABASE_URL's name>_lifecycle` (`broker_bench_lifecycle` by default;
 * BENCH_DATABASE_URL=.../broker_bench_mine gives `broker_bench_mine_lifecycle`), recreated each
 * run, so nothing else is swept and two people can run it side by side. Prints figures; asserts
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '#config';
import { PrismaService } from '#persistence';
import { AppsService, HealthSystemsService, LifecycleSweeps, OnboardingService, TenancyService } from '#registration';
import { createWorkerContext } from '../apps/worker/src/bootstrap.js';
import { argument, cpuMs, cpuMsOfDatabase, json, row, startProcess, waitFor } from './support.js';

const registrations = argument('registrations', 500);
const siteCount = argument('sites', 50);
const concurrency = argument('concurrency', 32);
const appCount = Math.ceil(registrations / siteCount);
const baseUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_bench');
const databaseName = `${baseUrl.pathname.replace(/^\//, '') || 'broker_bench'}_lifecycle`;
baseUrl.pathname = `/${databaseName}`;
const databaseUrl = baseUrl.toString();
const sandboxPort = 48_000 + Math.floor(Math.random() * 1000);
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until(label: string, count: () => Promise<number>, target: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const done = await count();
    if (done >= target) return Date.now() - started;
    if (Date.now() - started > 600_000) throw new Error(`${label}: ${done}/${target} after 10 minutes`);
    await sleep(100);
  }
}

let sandboxPid = 0;

/**
 * BENCH_PROFILE=verify: a V8 CPU profile of the worker during the steady-state verify sweep only
 * (not onboarding, not the rotations), written to /tmp/prof/verify-steady.cpuprofile;
 * BENCH_PROFILE=rotation: during the rotation sweep, to /tmp/prof/rotation.cpuprofile.
 */
async function profiled<T>(enabled: boolean, work: () => Promise<T>, file = 'verify-steady'): Promise<T> {
  if (!enabled) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync('/tmp/prof', { recursive: true });
    writeFileSync(`/tmp/prof/${file}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * CPU used while `work` runs by this process (the worker), by the bench database's PostgreSQL
 * backends and by the sandbox (the site's share: what a real EHR would spend).
 */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ result: T; workerMs: number; postgresMs: number; sandboxMs: number }> {
  const before = { worker: cpuMs(process.pid), postgres: cpuMsOfDatabase(databaseName), sandbox: cpuMs(sandboxPid) };
  const result = await work();
  return {
    result,
    workerMs: cpuMs(process.pid) - before.worker,
    postgresMs: cpuMsOfDatabase(databaseName) - before.postgres,
    sandboxMs: cpuMs(sandboxPid) - before.sandbox,
  };
}

const perItem = (ms: { workerMs: number; postgresMs: number; sandboxMs: number }) =>
  [ms.workerMs, ms.postgresMs, ms.sandboxMs].map((total) => (total / registrations).toFixed(2)).join(' / ') + ' ms';

async function main(): Promise<void> {
  const { migrate } = (await import(pathToFileURL(resolve('scripts/db.mjs')).href)) as {
    migrate: (url: string, options: { recreate: boolean }) => Promise<void>;
  };
  await migrate(databaseUrl, { recreate: true });
  const sandbox = startProcess('sandbox', 'dist/apps/sandbox/src/main.js', {
    SANDBOX_PORT: String(sandboxPort),
    LOG_LEVEL: 'warn',
  });
  sandboxPid = sandbox.pid!;
  try {
    await waitFor(`${sandboxUrl}/sandbox/sites`);
    await run();
  } finally {
    sandbox.kill('SIGTERM');
  }
}

async function run(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    OPERATOR_TOKEN: randomBytes(32).toString('base64url'),
    LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
    // The engine is measured, not the write limiter: SECRETS_WRITE_RATE_PER_SECOND (20) guards the
    // AWS quota and would cap the run at 20 registrations/s whatever the engine costs.
    SECRETS_WRITE_RATE_PER_SECOND: process.env.SECRETS_WRITE_RATE_PER_SECOND ?? '100000',
    OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${sandboxPort}`,
    QUEUE_PREFIX: `{bench-${randomBytes(3).toString('hex')}}`,
    WORKER_CONCURRENCY: String(concurrency),
    SITE_CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'warn',
    // Every secret (1 h lifetime) is due; the schedulers themselves stay out of the way.
    ROTATION_WINDOW_SECONDS: '7200',
    // ... and within the fraction of its lifetime that rotation waits for (a fresh 1 h secret has 99% left).
    ROTATION_REMAINING_FRACTION: '0.999',
    ROTATION_SWEEP_INTERVAL_SECONDS: '86400',
    VERIFY_INTERVAL_SECONDS: '86400',
  });
  const worker = await createWorkerContext(config);
  await worker.init();
  const prisma = worker.get(PrismaService);

  const siteIds: string[] = [];
  for (let i = 0; i < siteCount; i++) {
    const site = await json(
      await fetch(`${sandboxUrl}/sandbox/sites`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${i}`, profile: 'expiring-secrets', secretTtlSeconds: 3600 }),
      }),
    );
    siteIds.push(
      (await worker.get(HealthSystemsService).create({ name: site.name, fhirBaseUrl: site.fhirBaseUrl })).id,
    );
  }
  const tenant = await worker.get(TenancyService).createTenant({ name: 'bench' });
  const actor = { type: 'tenant_key' as const, tenantId: tenant.id, keyId: 'bench' };
  for (let a = 0; a < appCount; a++) {
    const app = await worker.get(AppsService).create(actor, {
      name: `bench ${a}`,
      clientMetadata: { client_name: `Bench ${a}`, grant_types: ['client_credentials'], scope: 'system/*.rs' },
    });
    const ids = siteIds.slice(0, Math.min(siteCount, registrations - a * siteCount));
    await worker
      .get(OnboardingService)
      .start(actor, app.id, `bench-${a}-${randomBytes(4).toString('hex')}`, { healthSystemIds: ids });
  }
  const onboarded = await until(
    'onboarding',
    () => prisma.registration.count({ where: { state: 'registered' } }),
    registrations,
  );
  row('registrations onboarded', `${registrations} in ${(onboarded / 1000).toFixed(1)} s`);

  const sweeps = worker.get(LifecycleSweeps);
  const historyRows = () => prisma.registrationTransition.count();
  // The second sweep runs "a day later" (VERIFY_INTERVAL_SECONDS on): every registration is due again.
  const sweepsToRun = [
    { sweep: 'first (records baselines)', now: () => new Date() },
    { sweep: 'a day later (nothing changed)', now: () => new Date(Date.now() + 86_400_000 + 1_000) },
  ];
  for (const { sweep, now } of sweepsToRun) {
    const started = new Date();
    const historyBefore = await historyRows();
    const steady = sweep.startsWith('a day later') && process.env.BENCH_PROFILE === 'verify';
    const { result, ...cpu } = await measured(() =>
      profiled(steady, async () => {
        const enqueueStarted = Date.now();
        await sweeps.verifyDue(now());
        const enqueued = Date.now() - enqueueStarted;
        const verified = await until(
          'verify sweep',
          () =>
            prisma.registration.count({
              where: { lastVerifiedAt: { gte: started }, state: { in: ['registered', 'failed'] } },
            }),
          registrations,
        );
        return { enqueued, verified };
      }),
    );
    const failed = await prisma.registration.count({ where: { state: 'failed' } });
    const history = (await historyRows()) - historyBefore;
    row(`verify sweep, ${sweep}: enqueue`, `${result.enqueued} ms`);
    row(
      `verify sweep, ${sweep}: all verified`,
      `${(result.verified / 1000).toFixed(2)} s (${((registrations * 1000) / result.verified).toFixed(0)}/s, ${failed} failed, ${history} history rows)`,
    );
    row(`  CPU per verify: worker / PostgreSQL / sandbox`, perItem(cpu));
  }

  const started = new Date();
  const enqueueRotation = Date.now();
  const rotation = await measured(() =>
    profiled(
      process.env.BENCH_PROFILE === 'rotation',
      async () => {
        // A minute later: every 1 h secret has less than ROTATION_REMAINING_FRACTION of its lifetime left.
        await sweeps.rotateExpiring(new Date(Date.now() + 60_000));
        const enqueued = Date.now() - enqueueRotation;
        const rotated = await until(
          'rotation sweep',
          () =>
            prisma.registrationAttempt.count({
              where: { action: 'rotate', outcome: { in: ['succeeded', 'failed'] }, startedAt: { gte: started } },
            }),
          registrations,
        );
        return { enqueued, rotated };
      },
      'rotation',
    ),
  );
  const rotationFailed = await prisma.registrationAttempt.count({ where: { action: 'rotate', outcome: 'failed' } });
  row('rotation sweep: enqueue', `${rotation.result.enqueued} ms`);
  row(
    'rotation sweep: all rotated (PUT + stage + token + promote)',
    `${(rotation.result.rotated / 1000).toFixed(2)} s (${((registrations * 1000) / rotation.result.rotated).toFixed(0)}/s, ${rotationFailed} failed)`,
  );
  row('  CPU per rotation: worker / PostgreSQL / sandbox', perItem(rotation));
  row(
    'settings',
    `worker concurrency ${concurrency}, ${siteCount} sites, ${appCount} apps, secret store ${config.secrets.backend}, sandbox in its own process`,
  );

  await worker.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
