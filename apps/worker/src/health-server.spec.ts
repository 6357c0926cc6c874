import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { PrismaService } from '#persistence';
import type { SecretStoreCanary } from '#secrets';
import { startHealthServer } from './health-server.js';

/** Database and Redis that answer; only the canary varies. */
const prisma = { $queryRaw: async () => [{ '?column?': 1 }] } as unknown as PrismaService;
const redis = { ping: async () => 'PONG' } as unknown as Redis;
const canaryAnswering = (result: { ok: boolean; reason?: string }) =>
  ({ status: async () => ({ ...result, checkedAt: 0 }) }) as unknown as SecretStoreCanary;

async function ready(secretStoreCanary: SecretStoreCanary | null) {
  const server = await startHealthServer(0, { prisma, redis, secretStoreCanary });
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    server.close();
  }
}

describe('worker health server', () => {
  it('is ready when the secret store canary passes, or when there is none (local mode)', async () => {
    expect(await ready(canaryAnswering({ ok: true }))).toEqual({ status: 200, body: { status: 'up' } });
    expect(await ready(null)).toEqual({ status: 200, body: { status: 'up' } });
  });

  it('answers 503 with the reason when the canary fails', async () => {
    const reason = 'write failed (KMSDisabledException): the KMS key (SECRETS_KMS_KEY_ID) is disabled';

    expect(await ready(canaryAnswering({ ok: false, reason }))).toEqual({
      status: 503,
      body: { status: 'down', secretStore: reason },
    });
  });
});
