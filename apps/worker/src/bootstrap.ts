import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { BrokerConfig } from '#config';
import { WorkerModule } from './worker.module.js';

/** The worker's Nest context (processors start with it). Used by main.ts and by tests. */
export async function createWorkerContext(
  config: BrokerConfig,
  logDestination?: DestinationStream,
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logDestination), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  return app;
}
