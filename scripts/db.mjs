// Database helpers for scripts: create a database when missing, apply migrations.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

export async function ensureDatabase(databaseUrl, { recreate = false } = {}) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unexpected database name "${name}"`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    if (recreate) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name}"`);
      console.log(`[db] created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

export function prisma(args, env) {
  const result = spawnSync(process.execPath, ['scripts/prisma.mjs', ...args], { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`prisma ${args.join(' ')} failed`);
}

export async function migrate(databaseUrl, options) {
  await ensureDatabase(databaseUrl, options);
  prisma(['migrate', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl });
}
