#!/usr/bin/env node
// `npm test`: services up, Prisma client generated, the build (fault tests run real worker
// processes from dist/), a fresh test database migrated, then unit and end-to-end tests
// (in band: they share PostgreSQL, Redis and the machine's two cores). The console is built too,
// and Chromium made sure of, for the browser tests (test/console.e2e-spec.ts).
import { spawnSync } from 'node:child_process';
import { ensureServices } from './services.mjs';
import { migrate, prisma } from './db.mjs';
import { ensureNodeRuntime } from './node-runtime.mjs';
import { ensureChromium } from './chromium.mjs';

const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test';

// On Node 24 (fetched once when this machine's Node is older; scripts/node-runtime.mjs).
await ensureNodeRuntime('npm test');
await ensureServices();
// The console's browser tests drive Debian's Chromium (installed with apt when missing, as root).
const chromiumPath = ensureChromium();
prisma(['generate'], process.env);
const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const consoleBuild = spawnSync(process.execPath, ['scripts/build-console.mjs'], { stdio: 'inherit' });
if (consoleBuild.status !== 0) process.exit(consoleBuild.status ?? 1);
await migrate(databaseUrl, { recreate: true });

const jest = (args) =>
  spawnSync(
    process.execPath,
    ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', ...args, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test', ...(chromiumPath ? { CHROMIUM_PATH: chromiumPath } : {}) },
    },
  ).status;

const status = jest(['--selectProjects', 'unit', 'e2e', '--runInBand']);
process.exit(status ?? 1);
