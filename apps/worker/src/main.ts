import 'reflect-metadata';
import type { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '#config';
import { metricsRegistry, startTracing, stopTracing } from '#observability';

/**
 * The worker: a Nest application context (no HTTP API) running the queue processors, plus a
 * health server. SIGTERM closes the processors first (BullMQ waits for running jobs), then
 * the connections.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before the worker's modules load (pg, ioredis, http), so the instrumentations can hook them.
  await startTracing('broker-worker');
  const [
    { Logger },
    { PrismaService },
    { REDIS },
    { SECRET_STORE_CANARY },
    { createWorkerContext },
    { startHealthServer },
  ] = await Promise.all([
    import('nestjs-pino'),
    import('#persistence'),
    import('#queue'),
    import('#secrets'),
    import('./bootstrap.js'),
    import('./health-server.js'),
  ]);
  const app = await createWorkerContext(config);
  const logger = app.get(Logger);
  const health = await startHealthServer(config.worker.healthPort, {
    prisma: app.get(PrismaService),
    redis: app.get<Redis>(REDIS),
    secretStoreCanary: app.get(SECRET_STORE_CANARY),
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
    await stopTracing();
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
