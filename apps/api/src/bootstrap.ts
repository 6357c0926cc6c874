import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { BrokerConfig } from '#config';
import { ApiModule } from './api.module.js';
import { buildOpenApiDocument } from './http/openapi.js';
import { applyHttpDefences, applyServerLimits } from './http/security.js';
import { mountQueueDashboard } from './operations/queue-dashboard.js';

/** Builds the API application (used by main.ts and by the end-to-end tests). */
export async function createApiApp(
  config: BrokerConfig,
  logDestination?: DestinationStream,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, logDestination), {
    bufferLogs: true,
    rawBody: false,
  });
  app.useLogger(app.get(Logger));
  // Before the body parsers and every route: headers, credentials in the URL, non-JSON bodies.
  applyHttpDefences(app);
  applyServerLimits(app.getHttpServer(), config);
  app.useBodyParser('json', { limit: '256kb', type: ['application/json', 'application/*+json'] });
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  mountQueueDashboard(app, config);

  // Built on the first request for /docs (then kept): start-up does not wait for it.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  // Start-up checks (the secret store canary) run in the modules' init hooks. If one fails, what
  // was opened (Redis, queues, the database pool) is closed before the error goes on.
  await app.init().catch(async (error: unknown) => {
    await app.close().catch(() => undefined);
    throw error;
  });
  return app;
}
