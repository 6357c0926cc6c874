import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Redis Cluster of a test's own: three masters with one replica each, started from
 * `redis-server --cluster-enabled yes` and joined with `redis-cli --cluster create`.
 *
 * Ports are picked in 10000-19999 so that each node's cluster bus port (+10000) is also below
 * Linux's ephemeral range (see private-redis.ts for why that matters).
 */
export interface RedisClusterNode {
  port: number;
  child: ChildProcess;
}

export interface LocalRedisCluster {
  /** `host:port,...` for REDIS_CLUSTER_NODES. */
  nodesEnv: string;
  nodes: RedisClusterNode[];
  /** The port of the master serving `key`'s slot. */
  masterFor(key: string): number;
  /** Promotes a replica of the master serving `key` (CLUSTER FAILOVER); resolves when it serves the slot. */
  failover(key: string): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const cli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';

export function redisClusterAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;
}

export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-cluster-'));
  const nodes: RedisClusterNode[] = [];
  const used = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const port = await freeClusterPort(used);
    used.add(port);
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '3000',
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    nodes.push({ port, child });
  }
  const stop = async () => {
    await Promise.all(
      nodes.map(async ({ port, child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        child.kill('SIGKILL');
      }),
    );
  };
  try {
    for (const { port } of nodes) await until(() => cli(port, 'ping') === 'PONG', `node ${port} to start`);
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map(({ port }) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    await until(
      () => nodes.every(({ port }) => cli(port, 'cluster', 'info').includes('cluster_state:ok')),
      'the cluster to be ok on every node',
    );
    await until(() => replicasInSync(nodes), 'every replica to be in sync');
  } catch (error) {
    await stop();
    throw error;
  }

  const masterFor = (key: string) => {
    const slot = Number(cli(nodes[0]!.port, 'cluster', 'keyslot', key));
    return slotOwner(nodes, slot);
  };
  return {
    nodesEnv: nodes.map(({ port }) => `127.0.0.1:${port}`).join(','),
    nodes,
    masterFor,
    async failover(key) {
      const from = masterFor(key);
      const masterId = cli(from, 'cluster', 'myid');
      const replica = nodes.find(({ port }) =>
        cli(port, 'cluster', 'nodes')
          .split('\n')
          .some((line) => {
            const fields = line.split(' ');
            return fields[2]?.includes('myself') && fields[2].includes('slave') && fields[3] === masterId;
          }),
      );
      if (!replica) throw new Error(`no replica of ${from}`);
      const answer = cli(replica.port, 'cluster', 'failover');
      if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica.port}: ${answer}`);
      await until(() => masterFor(key) === replica.port, `replica ${replica.port} to serve ${key}`);
      return { from, to: replica.port };
    },
    stop,
  };
}

function slotOwner(nodes: RedisClusterNode[], slot: number): number {
  for (const { port } of nodes) {
    const myself = cli(port, 'cluster', 'nodes')
      .split('\n')
      .find((line) => line.split(' ')[2]?.includes('myself'));
    if (!myself || !myself.split(' ')[2]!.includes('master')) continue;
    for (const range of myself.split(' ').slice(8)) {
      const [start, end = start] = range.split('-').map(Number);
      if (slot >= start! && slot <= end!) return port;
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

function replicasInSync(nodes: RedisClusterNode[]): boolean {
  const replicas = nodes.filter(({ port }) => cli(port, 'role').startsWith('slave'));
  return (
    replicas.length === 3 &&
    replicas.every(({ port }) => cli(port, 'info', 'replication').includes('master_link_status:up'))
  );
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function freeClusterPort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    if (used.has(port) || used.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
