import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './free-port.js';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags.js';
import { TEST_LOCAL_SECRETS_KEY, TEST_OPERATOR_TOKEN } from './test-config.js';

const WORKER_ENTRY = 'dist/apps/worker/src/main.js';

/**
 * A real worker process (the built `dist/`, as production runs it), for tests that kill
 * workers or run several. `npm test` builds before running; run `npm run build` first when
 * calling Jest directly.
 */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  healthPort: number;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  if (!existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run npm run build first`);
  // The health port can be taken between the check and the worker's bind: try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(env, await freePort());
    } catch (error) {
      if (attempt === 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startOnPort(env: Record<string, string>, healthPort: number): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test',
      // The test run's Redis (a database index of its own when several runs share one server), as
      // the in-process API that enqueues the jobs uses; without it the workers watched database 0.
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
      LOCAL_SECRETS_KEY: TEST_LOCAL_SECRETS_KEY,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      WORKER_HEALTH_PORT: String(healthPort),
      // The sweep periods tests run with (test-config.ts): every worker must agree, or each would
      // re-create the schedulers with its own period.
      VERIFY_SWEEP_INTERVAL_SECONDS: '86400',
      ROTATION_SWEEP_INTERVAL_SECONDS: '3600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  // A test that fails before killing its workers must neither keep Jest from exiting (the pipes
  // would hold its event loop: CI then hangs instead of failing) nor leave them running after it.
  for (const handle of [child, child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) handle?.unref?.();
  running.add(child);
  child.once('exit', () => running.delete(child));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = {
    child,
    output: () => output,
    healthPort,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const message = `worker exited during start-up:\n${output}`;
      throw output.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${healthPort}/health/ready`)).ok) return worker;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await worker.kill('SIGKILL');
  throw new Error(`worker did not become ready:\n${output}`);
}
