import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';

/**
 * The broker behind a real PgBouncer in transaction mode (Debian's `pgbouncer`, 1.18 here: no
 * prepared statement support), which is what the README's DATABASE_PREPARED_STATEMENTS=false
 * is for. Each transaction may run on a different server connection, so everything the broker
 * does must fit in one transaction (advisory locks are transaction-scoped, no session state).
 * Migrations run directly against PostgreSQL (README).
 */
const pgbouncer = spawnSync('sh', ['-c', 'command -v pgbouncer']).stdout?.toString().trim();
if (!pgbouncer) {
  console.warn('pgbouncer is not installed (apt-get install -y pgbouncer): the PgBouncer test is skipped');
}
const suite = pgbouncer ? describe : describe.skip;

suite('the broker through PgBouncer in transaction mode', () => {
  let bouncer: ChildProcess;
  let output = '';
  let broker: BrokerHarness;

  beforeAll(async () => {
    const direct = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'broker-pgbouncer-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'users.txt'), `"${direct.username || 'postgres'}" ""\n`, { mode: 0o644 });
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${direct.hostname} port=${direct.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'users.txt')}`,
        'pool_mode = transaction',
        // Fewer server connections than the broker's pools: transactions really do move between them.
        'default_pool_size = 3',
        'max_client_conn = 500',
        'ignore_startup_parameters = extra_float_digits,options',
      ].join('\n') + '\n',
      { mode: 0o644 },
    );
    // PgBouncer refuses to run as root; `-u` drops to the postgres user when we are root.
    const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
    bouncer = spawn(pgbouncer!, [...asUser, join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
    bouncer.stdout!.on('data', (chunk) => (output += chunk));
    bouncer.stderr!.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (bouncer.exitCode !== null || Date.now() > deadline) throw new Error(`pgbouncer did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pooled = new URL(direct);
    pooled.port = String(port);
    broker = await startBroker({ DATABASE_URL: pooled.toString(), DATABASE_PREPARED_STATEMENTS: 'false' });
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
    if (bouncer && bouncer.exitCode === null) {
      const exited = new Promise((resolve) => bouncer.once('exit', resolve));
      bouncer.kill('SIGTERM');
      await exited;
    }
  });

  it('onboards an app at several sites with DATABASE_PREPARED_STATEMENTS=false', async () => {
    const sites = Array.from({ length: 6 }, (_, i) => ({
      name: `bouncer-${i}-${randomBytes(2).toString('hex')}`,
      profile: i % 3 === 0 ? ('iat' as const) : ('open' as const),
    }));
    const siteIds = await broker.addSites(sites);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'PgBouncer tenant');
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `bouncer-${randomBytes(4).toString('hex')}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, auth, accepted.body.id, 120_000);
    expect(progress.completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    expect(registrations.map((registration) => registration.state)).toEqual(sites.map(() => 'registered'));
    // The secrets (local store, in PostgreSQL) went through PgBouncer too: credentials read back.
    const credentials = await broker.api.http().get(`/v1/registrations/${registrations[0]!.id}/credentials`).set(auth);
    expect(credentials.status).toBe(200);
  }, 180_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = connect(port, '127.0.0.1');
    client.once('connect', () => (client.end(), resolve(true)));
    client.once('error', () => resolve(false));
  });
}
