#!/usr/bin/env node
// Runs the Prisma CLI without its engine downloads (see README, "Why this Prisma setup").
// `generate` runs on Prisma 7 (the client the broker uses: Rust-free, query plans cached);
// `migrate` runs on Prisma 6.19, installed as `prisma-migrate`, whose bundled WASM schema
// engine applies migrations without the binary Prisma 7's migrate commands download. Both
// CLIs check that an engine file exists even where they never load it: any file satisfies them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const placeholder = fileURLToPath(import.meta.url);
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const args = process.argv.slice(2);
const cli =
  args[0] === 'migrate'
    ? ['node_modules/prisma-migrate/build/index.js', ...args, '--config', 'prisma-migrate.config.ts']
    : ['node_modules/prisma/build/index.js', ...args];
const result = spawnSync(process.execPath, cli, { env, stdio: 'inherit' });
process.exit(result.status ?? 1);
