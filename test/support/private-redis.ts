import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A Redis of a test's own (the machine's shared one must not be restarted), with an
 * append-only file as BullMQ deployments should have, so a restart keeps the queues.
 *
 * The port is picked below Linux's ephemeral range (32768-60999): a port inside it can be
 * taken at any moment by one of the many outgoing connections of the test run, which made
 * redis-server exit at once ("Address already in use") and the test fail on start-up.
 */
export type PrivateRedis = Awaited<ReturnType<typeof startPrivateRedis>>;

const START_TIMEOUT_MS = 15_000;

export async function startPrivateRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'broker-redis-'));
  let port = await freePort();
  let child: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    try {
      child = await startRedis(port, dir);
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      port = await freePort();
    }
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    spawnSync('redis-cli', ['-p', String(port), 'shutdown']);
    await exited;
  };
  /** Starts it again on the same port and files (after `stop`). */
  const start = async () => {
    child = await startRedis(port, dir);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    /** Loses every key (FLUSHALL) while the server and every connection stay up: data loss as a replaced Redis shows it. */
    flushAll() {
      const result = spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      if (result.status !== 0) throw new Error(`FLUSHALL failed: ${result.stderr.toString()}`);
    },
    /** Stops Redis, stays down for two seconds, and starts it again on the same port and files. */
    async restart() {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await start();
    },
  };
}

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  args.push('--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping']);
    if (ping.stdout?.toString().includes('PONG')) {
      // Nobody reads the output once it runs; stop buffering it.
      child.stdout?.off('data', collect).resume();
      child.stderr?.off('data', collect).resume();
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`private redis on port ${port} did not start (exit ${child.exitCode}):\n${output}`);
}

/** A port in 20000-29999 that nothing listens on right now. */
