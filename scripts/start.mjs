#!/usr/bin/env node
// `npm start`: one command from a fresh clone to a running broker with embedded defaults.
// 1. PostgreSQL and Redis (found, started or installed: scripts/services.mjs)
// 2. a development env file (.data/dev.env) with a generated operator token and local secrets key
// 3. Prisma client, TypeScript build, database `broker` migrated
// 4. sandbox EHR, API and worker as child processes; waits until the API is ready
// 5. seeds a demo tenant, app and sandbox health systems and onboards them (scripts/demo.mjs)
// Ctrl-C stops everything. Values from the environment override .data/dev.env.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureServices } from './services.mjs';
import { migrate, prisma } from './db.mjs';
import { ensureNodeRuntime } from './node-runtime.mjs';

// On Node 24 (fetched once when this machine's Node is older; scripts/node-runtime.mjs),
// before anything else starts.
await ensureNodeRuntime('npm start');

const log = (message) => console.log(`[start] ${message}`);
const ENV_FILE = '.data/dev.env';

function developmentEnv() {
  mkdirSync('.data', { recursive: true });
  if (!existsSync(ENV_FILE)) {
    const generated = {
      OPERATOR_TOKEN: randomBytes(32).toString('base64url'),
      LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
    };
    writeFileSync(ENV_FILE, Object.entries(generated).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    log(`generated ${ENV_FILE} (operator token and local secrets key; keep it: the key decrypts stored secrets)`);
  }
  const fromFile = Object.fromEntries(
    readFileSync(ENV_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const merged = { ...fromFile, ...process.env };
  const sandboxPort = merged.SANDBOX_PORT ?? '4000';
  // The sandbox runs on plain http on loopback: allowed for development only. A user's own
  // OUTBOUND_ALLOWED_HOSTS (a local webhook receiver, another test server) adds to it.
  const sandboxHosts = [`127.0.0.1:${sandboxPort}`, `localhost:${sandboxPort}`];
  const ownHosts = (merged.OUTBOUND_ALLOWED_HOSTS ?? '').split(',').map((host) => host.trim()).filter(Boolean);
  return {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/broker',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ...merged,
    SANDBOX_PORT: sandboxPort,
    // The sandbox keeps its clients across restarts, so the demo's registrations stay valid.
    SANDBOX_STATE_FILE: merged.SANDBOX_STATE_FILE ?? '.cache/sandbox-state.json',
    OUTBOUND_ALLOWED_HOSTS: [...new Set([...sandboxHosts, ...ownHosts])].join(','),
  };
}

/**
 * The broker's own configuration check (libs/config, loaded from source with Node's type
 * stripping: no build needed), so every problem is listed at once, before minutes of building.
 */
async function checkConfiguration(env) {
  const { ConfigError, loadConfig } = await import('../libs/config/src/config.ts');
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[start] ${error.message.replace(/\n/g, '\n[start] ')}`);
    console.error(`[start] fix the variables above (environment or ${ENV_FILE}) and run npm start again`);
    process.exit(1);
  }
}

/** Each port the processes will listen on must be free now: one clear line and exit 1 if not. */
async function checkPorts(ports) {
  for (const [variable, port] of ports) {
    const problem = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', (error) => resolve(error.code ?? String(error)));
      server.listen(port, () => server.close(() => resolve(null)));
    });
    if (problem) {
      console.error(
        problem === 'EADDRINUSE'
          ? `[start] port ${port} (${variable}) is in use by another process (an earlier npm start?): stop it or set ${variable} to a free port`
          : `[start] port ${port} (${variable}) cannot be used: ${problem}`,
      );
      process.exit(1);
    }
  }
}

/** A digest of everything the build reads: when it matches the last successful build's, the build is skipped. */
function sourceDigest() {
  const hash = createHash('sha256');
  const walk = (path) => {
    const entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated' && entry.name !== 'node_modules') walk(full);
      } else if (/\.(ts|tsx|mts|json|prisma|html|css)$/.test(entry.name)) {
        hash.update(`${full}\0${statSync(full).size}\0`).update(readFileSync(full));
      }
    }
  };
  for (const root of ['apps', 'libs', 'prisma']) if (existsSync(root)) walk(root);
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])
    if (existsSync(file)) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

async function waitForReady(url, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

const children = [];
function run(name, script, env, nodeFlags = []) {
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeFlags, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) =>
    stream.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) out.write(`[${name}] ${line}\n`);
    });
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping everything`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
  Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve)))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const env = developmentEnv();
const config = await checkConfiguration(env);
await checkPorts([
  ['PORT', config.api.port],
  ['SANDBOX_PORT', Number(env.SANDBOX_PORT)],
  ['WORKER_HEALTH_PORT', config.worker.healthPort],
]);
await ensureServices();
const BUILD_DIGEST_FILE = '.cache/build-digest';
const digest = sourceDigest();
if (existsSync('dist/apps/api/src/main.js') && existsSync('dist/console/index.html') && existsSync(BUILD_DIGEST_FILE) && readFileSync(BUILD_DIGEST_FILE, 'utf8') === digest) {
  log('sources unchanged since the last build: build skipped');
} else {
  log('generating the Prisma client and building');
  prisma(['generate'], env);
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('[start] the build failed (see above)');
    process.exit(1);
  }
  const consoleBuild = spawnSync(process.execPath, ['scripts/build-console.mjs'], { stdio: 'inherit' });
  if (consoleBuild.status !== 0) {
    console.error('[start] the console build failed (see above)');
    process.exit(1);
  }
  mkdirSync('.cache', { recursive: true });
  writeFileSync(BUILD_DIGEST_FILE, digest);
}
await migrate(env.DATABASE_URL);

run('sandbox', 'dist/apps/sandbox/src/main.js', env);
run('api', 'dist/apps/api/src/main.js', env);
// Imported after the build: the worker's flags are defined once, in apps/worker/src/node-flags.ts.
const { WORKER_NODE_FLAGS } = await import('../dist/apps/worker/src/node-flags.js');
run('worker', 'dist/apps/worker/src/main.js', env, WORKER_NODE_FLAGS);

const apiUrl = `http://localhost:${env.PORT ?? 3000}`;
if (!(await waitForReady(`${apiUrl}/health/ready`, 60))) {
  log('the API did not become ready within 60 s');
  stop(1);
} else {
  log(`API ready: ${apiUrl}/health/ready  console: ${apiUrl}/console  OpenAPI: ${apiUrl}/docs`);
  log(`operator token: see ${ENV_FILE} (OPERATOR_TOKEN)`);
  if (existsSync('scripts/demo.mjs')) {
    const demo = spawnSync(process.execPath, ['scripts/demo.mjs'], { stdio: 'inherit', env: { ...env, API_URL: apiUrl } });
    if (demo.status !== 0) log('the demo seed failed (see above); the broker keeps running');
  }
  log('running; Ctrl-C stops the API, the worker and the sandbox');
}
