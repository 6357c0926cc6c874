#!/usr/bin/env node
// Runs the Prisma CLI without its engine downloads (see README, "Why this Prisma setup").
// `generate` runs on Prisma 7 (the client the broker uses: Rust-free, query plans cached);
// `migrate` runs on Prisma 6.19, installed as `prisma-migrate`, whose bundled WASM schema
// engine applies migrations without the binary Prisma 7's migrate commands download. Both
// CLIs check that an engine file exists even where they never load it: any file satisfies them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA = 'prisma/schema.prisma';
/** Where prisma-migrate.config.ts reads the schema (kept equal to its MIGRATE_SCHEMA). */
const MIGRATE_SCHEMA = 'node_modules/.cache/prisma-migrate/schema.prisma';

/** The same schema in Prisma 6's dialect: its datasource must name the URL. */
function writeMigrateSchema() {
  const schema = readFileSync(SCHEMA, 'utf8');
  const datasource = /datasource db \{\n  provider = "postgresql"\n/;
  if (!datasource.test(schema)) throw new Error(`${SCHEMA}: datasource block not in the expected form`);
  mkdirSync(dirname(MIGRATE_SCHEMA), { recursive: true });
  writeFileSync(MIGRATE_SCHEMA, schema.replace(datasource, (block) => `${block}  url      = env("DATABASE_URL")\n`));
}

const placeholder = fileURLToPath(import.meta.url);
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const args = process.argv.slice(2);
let cli = ['node_modules/prisma/build/index.js', ...args];
if (args[0] === 'migrate') {
  writeMigrateSchema();
  cli = ['node_modules/prisma-migrate/build/index.js', ...args, '--config', 'prisma-migrate.config.ts'];
}
const result = spawnSync(process.execPath, cli, { env, stdio: 'inherit' });
process.exit(result.status ?? 1);
