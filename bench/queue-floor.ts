/**
 * `npm run bench:queue-floor -- [--jobs 2000] [--concurrency 32]`
 *
 * The least one registration job can cost on this machine, whatever the broker does in it: a
 * BullMQ worker (the broker's worker options, the same concurrency as bench:onboarding) running
 * jobs that do nothing, then jobs that make one HTTP POST to a local server with Node's `http`
 * (as the broker's safe HTTP client does: a new connection per request). Prints jobs/s and CPU per
 * job of this process and of Redis, to compare with bench:onboarding's CPU per registration.
 * Asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { WORKER_OPTIONS } from '../apps/worker/src/worker-options.js';
import { argument, cpuMsOfCommand, row } from './support.js';

const jobs = argument('jobs', 2000);
const concurrency = argument('concurrency', 32);
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };

function post(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ client_name: 'Floor', redirect_uris: ['https://floor.example.com/cb'] });
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: '/reg',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        response.on('end', resolve);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function measure(label: string, work: () => Promise<void>): Promise<void> {
  const prefix = `{floor-${randomBytes(3).toString('hex')}}`;
  const queue = new Queue('floor', { connection, prefix });
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'register', data: { i } })));
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const redisBefore = cpuMsOfCommand('redis-server');
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = new Worker(
    'floor',
    async () => {
      await work();
    },
    { ...WORKER_OPTIONS, connection, prefix, concurrency, removeOnComplete: { count: 1000 } },
  );
  worker.on('completed', () => {
    if (++done === jobs) finished();
  });
  await allDone;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisMs = cpuMsOfCommand('redis-server') - redisBefore;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  row(
    label,
    `${(jobs / seconds).toFixed(0)} jobs/s; CPU per job: worker ${((cpu.user + cpu.system) / 1000 / jobs).toFixed(2)} ms, ` +
      `Redis ${(redisMs / jobs).toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"client_id":"x"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`bench:queue-floor  jobs=${jobs}  concurrency=${concurrency}  (${new Date().toISOString()})`);
  try {
    await measure('BullMQ job doing nothing', async () => undefined);
    // The trivial server runs in this process too: its CPU counts in the worker's figure.
    await measure('BullMQ job + one HTTP POST, client and server', () => post(port));
    await measure('BullMQ job doing nothing (again, for noise)', async () => undefined);
  } finally {
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
