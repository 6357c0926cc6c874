import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '#config';
import { metricsRegistry } from '#observability';
import { PrismaService } from '#persistence';
import { REDIS } from '#queue';
import { createWorkerContext } from './bootstrap.js';
import { startHealthServer } from './health-server.js';

/**
 * The worker: a Nest application context (no HTTP API) running the queue processors, plus a
 * health server. SIGTERM closes the processors first (BullMQ waits for running jobs), then
 * the connections.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createWorkerContext(config);
  const logger = app.get(Logger);
  const health = await startHealthServer(config.worker.healthPort, {
    prisma: app.get(PrismaService),
    redis: app.get<Redis>(REDIS),
    extraRoutes: {
      '/metrics': async () => ({
        status: 200,
        contentType: metricsRegistry.contentType,
        body: await metricsRegistry.metrics(),
      }),
    },
  });
  const stop = async (signal: string) => {
    logger.log(`received ${signal}: finishing running jobs, then stopping`);
    health.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  logger.log(`worker started; health on :${config.worker.healthPort}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
