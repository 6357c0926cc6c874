import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { PrismaService } from '#persistence';
import { REDIS } from '#queue';
import { SECRET_STORE_CANARY, type SecretStoreCanary } from '#secrets';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

async function check(probe: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; error?: string }> {
  try {
    await withTimeout(probe());
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : 'unavailable' };
  }
}

/** The secret store canary's last result (cached by the canary, so probes stay cheap). */
async function secretStoreCheck(canary: SecretStoreCanary): Promise<{ status: 'up' | 'down'; error?: string }> {
  const result = await withTimeout(canary.status()).catch(() => ({ ok: false, reason: 'canary timed out' }));
  return result.ok ? { status: 'up' } : { status: 'down', error: result.reason };
}

/**
 * Liveness says the process runs; readiness says it can serve (database and Redis answer and, in
 * AWS mode, the secret store canary passes: permissions and KMS key work).
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SECRET_STORE_CANARY) private readonly canary: SecretStoreCanary | null,
  ) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'up' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response) {
    const [database, redis, secretStore] = await Promise.all([
      check(() => this.prisma.$queryRaw`SELECT 1`),
      check(() => this.redis.ping()),
      this.canary ? secretStoreCheck(this.canary) : undefined,
    ]);
    const checks = { database, redis, ...(secretStore ? { secretStore } : {}) };
    const up = Object.values(checks).every((result) => result.status === 'up');
    response.status(up ? 200 : 503);
    return { status: up ? 'up' : 'down', checks };
  }
}
