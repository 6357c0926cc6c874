import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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

let nextHealthPort = 41_000 + Math.floor(Math.random() * 5_000);

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  if (!existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run npm run build first`);
  const healthPort = nextHealthPort++;
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test',
      // The test process's Redis (a database of its own when engineers share one server); a test's
      // own REDIS_URL (a private Redis) in `env` still wins.
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
      LOCAL_SECRETS_KEY: TEST_LOCAL_SECRETS_KEY,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      WORKER_HEALTH_PORT: String(healthPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
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
    if (child.exitCode !== null) throw new Error(`worker exited during start-up:\n${output}`);
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
