/**
 * `npm run bench:onboarding -- --sites 1000 [--concurrency 32] [--workers 1]`
 *
 * Profiling: BENCH_PROFILE=worker-1 (or api, sandbox) writes a V8 CPU profile of that process to /tmp/prof.
 *
 * One app onboarded to N sandbox sites by the real API and worker processes, compared in
 * the same run with the sandbox's raw registration throughput (a plain client POSTing the
 * same metadata at the same concurrency), measured before and after the broker run so the
 * machine's noise shows. `--workers N` splits the same total concurrency over N worker
 * processes (the fleet shape), so the ratio stays comparable. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags.js';
import {
  argument,
  cpuMs,
  cpuMsOfCommand,
  json,
  peakRssMb,
  percentile,
  pool,
  row,
  startProcess,
  waitFor,
} from './support.js';

const sites = argument('sites', 1000);
const concurrency = argument('concurrency', 32);
const workerCount = argument('workers', 1);
const databaseUrl = process.env.DATABASE_URL!;
const sandboxPort = 47_000 + Math.floor(Math.random() * 1000);
const apiPort = sandboxPort + 1000;
const operatorToken = randomBytes(32).toString('base64url');
const env = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: `{bench-${randomBytes(3).toString('hex')}}`,
  OPERATOR_TOKEN: operatorToken,
  LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
  // The engine is measured, not the write limiter: SECRETS_WRITE_RATE_PER_SECOND (20) guards the
  // AWS quota and would cap the run at 20 registrations/s whatever the engine costs.
  SECRETS_WRITE_RATE_PER_SECOND: process.env.SECRETS_WRITE_RATE_PER_SECOND ?? '100000',
  OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${sandboxPort}`,
  LOG_LEVEL: 'warn',
  PORT: String(apiPort),
  WORKER_CONCURRENCY: String(Math.ceil(concurrency / workerCount)),
  SANDBOX_PORT: String(sandboxPort),
  SANDBOX_SITES: String(sites),
};
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const apiUrl = `http://127.0.0.1:${apiPort}`;
const metadata = {
  client_name: 'Bench App',
  redirect_uris: ['https://bench.example.com/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'launch openid fhirUser patient/*.rs',
};

const operator = { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' };
const siteNames = Array.from({ length: sites }, (_, i) => `extra-${i + 1}`);

async function plainRegistrationsPerSecond(): Promise<number> {
  const started = performance.now();
  await pool(siteNames, concurrency, async (name) => {
    await json(
      await fetch(`${sandboxUrl}/sites/${name}/oidc/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metadata),
      }),
    );
  });
  return sites / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const sandbox = startProcess('sandbox', 'dist/apps/sandbox/src/main.js', env);
  const api = startProcess('api', 'dist/apps/api/src/main.js', env);
  const workers = Array.from({ length: workerCount }, (_, i) =>
    startProcess(
      `worker-${i + 1}`,
      'dist/apps/worker/src/main.js',
      { ...env, WORKER_HEALTH_PORT: String(apiPort + 1 + i) },
      WORKER_NODE_FLAGS,
    ),
  );
  try {
    await Promise.all([
      waitFor(`${sandboxUrl}/sandbox/sites`),
      waitFor(`${apiUrl}/health/ready`),
      ...workers.map((_, i) => waitFor(`http://127.0.0.1:${apiPort + 1 + i}/health/ready`)),
    ]);

    // Directory, tenant and app, through the API.
    const healthSystemIds: string[] = [];
    await pool(siteNames, 16, async (name) => {
      const created = await json(
        await fetch(`${apiUrl}/v1/admin/health-systems`, {
          method: 'POST',
          headers: operator,
          body: JSON.stringify({ name, fhirBaseUrl: `${sandboxUrl}/sites/${name}/fhir` }),
        }),
      );
      healthSystemIds.push(created.id);
    });
    const tenant = await json(
      await fetch(`${apiUrl}/v1/admin/tenants`, { method: 'POST', headers: operator, body: '{"name":"Bench"}' }),
    );
    const key = await json(
      await fetch(`${apiUrl}/v1/admin/tenants/${tenant.id}/api-keys`, {
        method: 'POST',
        headers: operator,
        body: JSON.stringify({ name: 'bench', scopes: ['apps:write', 'onboardings:write', 'registrations:read'] }),
      }),
    );
    const tenantHeaders = { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' };
    const app = await json(
      await fetch(`${apiUrl}/v1/apps`, {
        method: 'POST',
        headers: tenantHeaders,
        body: JSON.stringify({ name: 'Bench', clientMetadata: metadata }),
      }),
    );

    // The broker discovers each site when the operator adds it; a running broker onboards
    // against a discovered directory, so wait for that (and report how long it took).
    const directoryStarted = performance.now();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM "HealthSystem" WHERE "discoveredAt" IS NOT NULL',
      );
      if (Number(rows[0]!.n) >= sites) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const directorySeconds = (performance.now() - directoryStarted) / 1000;

    // Each site's OAuth server starts on its first request: start them all before measuring anything.
    await pool(siteNames, concurrency, async (name) => {
      await json(await fetch(`${sandboxUrl}/sites/${name}/oidc/.well-known/openid-configuration`));
    });
    const baselineBefore = await plainRegistrationsPerSecond();

    const workersCpu = () => workers.reduce((sum, worker) => sum + cpuMs(worker.pid!), 0);
    const cpuBefore = {
      workers: workersCpu(),
      sandbox: cpuMs(sandbox.pid!),
      api: cpuMs(api.pid!),
      postgres: cpuMsOfCommand('postgres'),
      redis: cpuMsOfCommand('redis-server'),
    };
    const postedAt = performance.now();
    const accepted = await fetch(`${apiUrl}/v1/apps/${app.id}/onboardings`, {
      method: 'POST',
      headers: { ...tenantHeaders, 'idempotency-key': randomBytes(8).toString('hex') },
      body: JSON.stringify({ healthSystemIds }),
    });
    const acceptedMs = performance.now() - postedAt;
    const onboarding = await json(accepted);
    let progress: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      progress = await json(await fetch(`${apiUrl}/v1/onboardings/${onboarding.id}`, { headers: tenantHeaders }));
    } while (!progress.completed);
    const brokerSeconds = (performance.now() - postedAt) / 1000;
    const workerPeakRss = Math.max(...workers.map((worker) => peakRssMb(worker.pid!)));
    const cpuPerRegistration = (pid: number, before: number) => (cpuMs(pid) - before) / sites;
    const cpu = {
      workers: (workersCpu() - cpuBefore.workers) / sites,
      sandbox: cpuPerRegistration(sandbox.pid!, cpuBefore.sandbox),
      api: cpuPerRegistration(api.pid!, cpuBefore.api),
      postgres: (cpuMsOfCommand('postgres') - cpuBefore.postgres) / sites,
      redis: (cpuMsOfCommand('redis-server') - cpuBefore.redis) / sites,
    };

    const baselineAfter = await plainRegistrationsPerSecond();

    const { rows } = await client.query<{ ms: number }>(
      `SELECT EXTRACT(EPOCH FROM (t."at" - r."createdAt")) * 1000 AS ms
         FROM "RegistrationTransition" t JOIN "Registration" r ON r.id = t."registrationId"
        WHERE r."onboardingId" = $1 AND t."toState" = 'registered'`,
      [onboarding.id],
    );
    await client.end();
    const toRegistered = rows.map((r) => Number(r.ms));
    const brokerRate = progress.counts.registered / brokerSeconds;
    const baseline = (baselineBefore + baselineAfter) / 2;

    console.log(
      `\nbench:onboarding  sites=${sites}  concurrency=${concurrency}  workers=${workerCount}  (${new Date().toISOString()})`,
    );
    row('directory discovery after the health systems were added', `${directorySeconds.toFixed(1)} s`);
    row('202 Accepted for the onboarding request', `${acceptedMs.toFixed(0)} ms`);
    row(
      'registrations reaching registered',
      `${progress.counts.registered}/${sites} (${JSON.stringify(progress.counts)})`,
    );
    row('broker end-to-end registrations/s', brokerRate.toFixed(1));
    row(
      'time to registered p50 / p95',
      `${percentile(toRegistered, 50).toFixed(0)} ms / ${percentile(toRegistered, 95).toFixed(0)} ms`,
    );
    row(`worker peak RSS (VmHWM, highest of ${workerCount})`, `${workerPeakRss.toFixed(0)} MB`);
    row(
      'CPU per registration: workers / sandbox / API',
      `${cpu.workers.toFixed(1)} / ${cpu.sandbox.toFixed(1)} / ${cpu.api.toFixed(1)} ms`,
    );
    row(
      'CPU per registration: PostgreSQL / Redis (all processes)',
      `${cpu.postgres.toFixed(1)} / ${cpu.redis.toFixed(1)} ms`,
    );
    row(
      'sandbox raw registrations/s, plain client (before/after)',
      `${baselineBefore.toFixed(1)} / ${baselineAfter.toFixed(1)}`,
    );
    row('ratio broker / raw (mean of before and after)', (brokerRate / baseline).toFixed(2));
  } finally {
    for (const child of [...workers, api, sandbox]) child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
