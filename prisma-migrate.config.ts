// Migrations (`migrate deploy`, `migrate diff`) run on the Prisma 6.19 CLI, installed as
// `prisma-migrate`: its bundled WASM schema engine needs no binary download, which Prisma 7's
// migrate commands do (see README, "Why this Prisma setup"). scripts/prisma.mjs picks this file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { defineConfig } from 'prisma-migrate/config';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * prisma/schema.prisma in Prisma 6's dialect, written each time this configuration loads: 6.19
 * requires the datasource `url` that Prisma 7 refuses in a schema file.
 */
function migrateSchema(): string {
  const source = 'prisma/schema.prisma';
  const target = 'node_modules/.cache/prisma-migrate/schema.prisma';
  const schema = readFileSync(source, 'utf8');
  const datasource = /datasource db \{\n  provider = "postgresql"\n/;
  if (!datasource.test(schema)) throw new Error(`${source}: datasource block not in the expected form`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    target,
    schema.replace(datasource, (block) => `${block}  url      = env("DATABASE_URL")\n`),
  );
  return target;
}

const connectionString = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker';

/**
 * The adapter's `executeScript` splits a migration on every ";", which breaks function bodies
 * (`$$ ... $$`, e.g. the registration history trigger). PostgreSQL runs a multi-statement
 * script in one simple query, as Prisma's native engine sends it: do that instead.
 */
class WholeScriptPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const pool = (adapter as unknown as { client: { query(sql: string): Promise<unknown> } }).client;
    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (error) {
        (adapter as unknown as { onError(error: unknown): never }).onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  schema: migrateSchema(),
  migrations: { path: 'prisma/migrations' },
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new WholeScriptPg({ connectionString }),
});
