#!/usr/bin/env node
// `npm run bench:<name> -- [flags]`: services, build, a fresh `broker_bench` database, then
// `node dist/bench/<name>.js [flags]`. Benchmarks print figures; they assert nothing.
import { spawnSync } from 'node:child_process';
import { ensureServices } from './services.mjs';
import { migrate, prisma } from './db.mjs';
import { ensureNodeRuntime } from './node-runtime.mjs';

const [name, ...flags] = process.argv.slice(2);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_bench';

// Figures are measured on the Node the broker runs on in production (Node 24; scripts/node-runtime.mjs).
await ensureNodeRuntime(`npm run bench:${name}`);
await ensureServices();
prisma(['generate'], process.env);
const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
await migrate(databaseUrl, { recreate: true });
const run = spawnSync(process.execPath, [`dist/bench/${name}.js`, ...flags], {
  stdio: 'inherit',
  env: { ...process.env, DATABASE_URL: databaseUrl },
});
process.exit(run.status ?? 1);
