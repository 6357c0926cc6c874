/**
 * `npm run bench:database-calls -- [--calls 2000]`
 *
 * CPU per database call of the statements the registration path makes, through Prisma's
 * Rust-free client (as the broker does) and through `pg` directly on the same database, in the
 * same process and run, so the machine's noise hits both alike. Each figure is the median of
 * five rounds. The rows looked up do not exist: this measures the per-call cost of the client,
 * not row mapping. Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createPrismaClient } from '#persistence';
import { argument, percentile, row } from './support.js';

const calls = argument('calls', 2000);
const databaseUrl = process.env.DATABASE_URL!;
const ROUNDS = 5;

async function cpuPerCall(call: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number }> {
  for (let i = 0; i < 200; i++) await call(); // warm-up: compiled plans, JIT, pool connections
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const startCpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < calls / ROUNDS; i++) await call();
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000 / (calls / ROUNDS));
    wall.push((performance.now() - started) / (calls / ROUNDS));
  }
  return { cpuMs: percentile(cpu, 50), wallMs: percentile(wall, 50) };
}

async function main(): Promise<void> {
  const prisma = createPrismaClient(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const id = randomUUID();
  const tenantId = randomUUID();
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['prisma findFirst', () => prisma.registration.findFirst({ where: { id, tenantId } })],
    [
      'prisma findFirst + 3 relations',
      () =>
        prisma.registration.findFirst({
          where: { id, tenantId },
          include: { app: true, tenant: true, healthSystem: true },
        }),
    ],
    [
      'prisma updateMany (state compare-and-set)',
      () => prisma.registration.updateMany({ where: { id, tenantId, state: 'queued' }, data: { stateReason: 'x' } }),
    ],
    [
      'prisma $executeRaw (same update)',
      () =>
        prisma.$executeRaw`UPDATE "Registration" SET "stateReason" = 'x' WHERE "id" = ${id}::uuid AND "tenantId" = ${tenantId}::uuid AND "state" = 'queued'`,
    ],
    [
      'prisma $transaction of 2 updateMany',
      () =>
        prisma.$transaction(async (tx) => {
          await tx.registration.updateMany({ where: { id, state: 'queued' }, data: { stateReason: 'x' } });
          await tx.registration.updateMany({ where: { id, state: 'queued' }, data: { stateReason: 'x' } });
        }),
    ],
    [
      'pg query (same findFirst)',
      () => pool.query('SELECT * FROM "Registration" WHERE "id" = $1 AND "tenantId" = $2 LIMIT 1', [id, tenantId]),
    ],
    [
      'pg transaction of 2 updates',
      async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const update = `UPDATE "Registration" SET "stateReason" = 'x' WHERE "id" = $1 AND "state" = 'queued'`;
          await client.query(update, [id]);
          await client.query(update, [id]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      },
    ],
  ];
  console.log(
    `bench:database-calls  calls=${calls} per case, median of ${ROUNDS} rounds  (${new Date().toISOString()})`,
  );
  row('call', 'CPU ms / call   wall ms / call');
  try {
    for (const [label, call] of cases) {
      const { cpuMs, wallMs } = await cpuPerCall(call);
      row(label, `${cpuMs.toFixed(3).padStart(13)}   ${wallMs.toFixed(3).padStart(14)}`);
    }
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
