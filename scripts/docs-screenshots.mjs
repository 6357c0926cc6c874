#!/usr/bin/env node
// `npm run docs:screenshots`: the console's browser journeys (test/console.e2e-spec.ts) run once
// against a database of their own, saving the main pages as PNG files in docs/ (the README shows
// them). Needs what `npm test` needs: PostgreSQL, Redis and Debian's chromium (installed as root).
import { spawnSync } from 'node:child_process';
import { ensureServices } from './services.mjs';
import { ensureChromium } from './chromium.mjs';
import { migrate, prisma } from './db.mjs';
import { ensureNodeRuntime } from './node-runtime.mjs';

const databaseUrl = process.env.SCREENSHOTS_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_screenshots';

await ensureNodeRuntime('npm run docs:screenshots');
await ensureServices();
const chromiumPath = ensureChromium();
if (!chromiumPath) process.exit(1);
prisma(['generate'], process.env);
await migrate(databaseUrl, { recreate: true });
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--selectProjects', 'e2e', '--runInBand', 'test/console.e2e-spec.ts'],
  {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test', CHROMIUM_PATH: chromiumPath, CONSOLE_SCREENSHOTS: 'docs' },
  },
);
if (jest.status === 0) console.log('[screenshots] docs/console-*.png written');
process.exit(jest.status ?? 1);
