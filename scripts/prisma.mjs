#!/usr/bin/env node
// Runs the Prisma CLI without its engine downloads. The generated client is Rust-free (it
// talks to PostgreSQL through @prisma/adapter-pg) and migrations use the WASM schema engine,
// but `prisma generate` still checks that an engine file exists: any file satisfies it.
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
const result = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
