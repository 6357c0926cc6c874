#!/usr/bin/env node
// Makes sure PostgreSQL and Redis answer on localhost. In order: use a running server; start
// an installed one; install it with apt (only as root); otherwise stop with instructions.
// Every step says what it did. Used by `npm start` and `npm test`; runnable alone: `npm run services`.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';

const log = (message) => console.log(`[services] ${message}`);

function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await portOpen(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

export const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const run = (command) => execSync(command, { stdio: 'inherit' });

let aptUpdated = false;
/** Installs Debian packages when running as root on a machine with apt; false when it cannot. */
export function aptInstall(packages) {
  if (!isRoot || !has('apt-get')) return false;
  log(`installing ${packages} with apt-get (running as root)`);
  if (!aptUpdated) run('apt-get update -qq');
  aptUpdated = true;
  run(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages}`);
  return true;
}

async function ensurePostgres() {
  if (await portOpen(5432)) return log('PostgreSQL is running on 127.0.0.1:5432');
  if (!existsSync('/etc/postgresql') && !aptInstall('postgresql')) {
    throw new Error(
      'PostgreSQL is not running on 127.0.0.1:5432 and is not installed. Install PostgreSQL 15+ ' +
        '(apt-get install postgresql, or `docker compose up -d postgres`), or set DATABASE_URL.',
    );
  }
  const version = readdirSync('/etc/postgresql')[0];
  log(`starting the installed PostgreSQL ${version} cluster "main"`);
  run(`pg_ctlcluster --skip-systemctl-redirect ${version} main start || true`);
  if (!(await waitForPort(5432, 30))) throw new Error('PostgreSQL did not start on 127.0.0.1:5432');
  // A fresh apt install only trusts local socket connections from the postgres user;
  // the broker connects over TCP as postgres, which Debian's default pg_hba allows with md5.
  // For a development machine we rely on a trust entry or a password in DATABASE_URL.
  log('PostgreSQL started');
}

async function ensureRedis() {
  if (await portOpen(6379)) return log('Redis is running on 127.0.0.1:6379');
  if (!has('redis-server') && !aptInstall('redis-server')) {
    throw new Error(
      'Redis is not running on 127.0.0.1:6379 and is not installed. Install Redis 7+ ' +
        '(apt-get install redis-server, or `docker compose up -d redis`), or set REDIS_URL.',
    );
  }
  mkdirSync('/tmp/broker-redis', { recursive: true });
  log('starting redis-server (no persistence, maxmemory-policy noeviction as BullMQ requires)');
  run(
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no ' +
      '--maxmemory-policy noeviction --dir /tmp/broker-redis --logfile /tmp/broker-redis/redis.log',
  );
  if (!(await waitForPort(6379, 15))) throw new Error('Redis did not start on 127.0.0.1:6379');
  log('Redis started');
}

export async function ensureServices() {
  await ensurePostgres();
  await ensureRedis();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureServices().catch((error) => {
    console.error(`[services] ${error.message}`);
    process.exit(1);
  });
}
