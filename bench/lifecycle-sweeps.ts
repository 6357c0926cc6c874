/**
 * `npx tsc -p tsconfig.build.json && node dist/bench/lifecycle-sweeps.js [--registrations 500] [--sites 50] [--concurrency 32]`
 *
 * How long a full verify sweep and a full rotation sweep take over N registrations: the sweep
 * enqueues one job per registration, the worker runs them (RFC 7592 GET + drift + token request
 * for verify; RFC 7592 PUT + staged secret + token request + promote for rotation), and the
 * clock stops when the last registration has recorded its result. Sandbox and worker run in
 * this one process on a fresh database (`broker_bench_lifecycle`, recreated each run), so
 * nothing else in the database is swept. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '#config';
import { PrismaService } from '#persistence';
import { AppsService, HealthSystemsService, LifecycleSweeps, OnboardingService, TenancyService } from '#registration';
import { startSandbox } from '../apps/sandbox/src/sandbox.js';
import { createWorkerContext } from '../apps/worker/src/bootstrap.js';
import { argument, row } from './support.js';

const registrations = argument('registrations', 500);
const siteCount = argument('sites', 50);
const concurrency = argument('concurrency', 32);
const appCount = Math.ceil(registrations / siteCount);
const baseUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker');
baseUrl.pathname = '/broker_bench_lifecycle';
const databaseUrl = baseUrl.toString();

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

async function main(): Promise<void> {
  const { migrate } = (await import(pathToFileURL(resolve('scripts/db.mjs')).href)) as {
    migrate: (url: string, options: { recreate: boolean }) => Promise<void>;
  };
  await migrate(databaseUrl, { recreate: true });
  const sandbox = await startSandbox({ port: 0 });
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    OPERATOR_TOKEN: randomBytes(32).toString('base64url'),
    LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
    // The engine is measured, not the write limiter: SECRETS_WRITE_RATE_PER_SECOND (20) guards the
    // AWS quota and would cap the run at 20 registrations/s whatever the engine costs.
    SECRETS_WRITE_RATE_PER_SECOND: process.env.SECRETS_WRITE_RATE_PER_SECOND ?? '100000',
    OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${sandbox.port}`,
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
    const site = sandbox.addSite({ name: `bench-${i}`, profile: 'expiring-secrets', secretTtlSeconds: 3600 });
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
  let started = new Date();
  const enqueueVerify = Date.now();
  await sweeps.verifyDue();
  const verifyEnqueued = Date.now() - enqueueVerify;
  const verified = await until(
    'verify sweep',
    () =>
      prisma.registration.count({
        where: { lastVerifiedAt: { gte: started }, state: { in: ['registered', 'failed'] } },
      }),
    registrations,
  );
  const verifyFailed = await prisma.registration.count({ where: { state: 'failed' } });
  row('verify sweep: enqueue', `${verifyEnqueued} ms`);
  row(
    'verify sweep: all verified (GET + drift + token request)',
    `${(verified / 1000).toFixed(2)} s (${((registrations * 1000) / verified).toFixed(0)}/s, ${verifyFailed} failed)`,
  );

  started = new Date();
  const enqueueRotation = Date.now();
  await sweeps.rotateExpiring();
  const rotationEnqueued = Date.now() - enqueueRotation;
  const rotated = await until(
    'rotation sweep',
    () =>
      prisma.registrationAttempt.count({
        where: { action: 'rotate', outcome: { in: ['succeeded', 'failed'] }, startedAt: { gte: started } },
      }),
    registrations,
  );
  const rotationFailed = await prisma.registrationAttempt.count({ where: { action: 'rotate', outcome: 'failed' } });
  row('rotation sweep: enqueue', `${rotationEnqueued} ms`);
  row(
    'rotation sweep: all rotated (PUT + stage + token + promote)',
    `${(rotated / 1000).toFixed(2)} s (${((registrations * 1000) / rotated).toFixed(0)}/s, ${rotationFailed} failed)`,
  );
  row(
    'settings',
    `worker concurrency ${concurrency}, ${siteCount} sites, ${appCount} apps, secret store ${config.secrets.backend}`,
  );

  await worker.close();
  await sandbox.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
