import { Module, type DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { BrokerConfig } from '#config';
import { loggerOptions } from '#observability';
import { REDIS, SiteConcurrencyLimiter } from '#queue';
import { CoreModule } from '#registration';
import { RegistrationProcessor } from './registration/registration.processor.js';
import { WebhooksWorkerModule } from './webhooks/webhooks-worker.module.js';
import { LifecycleProcessor } from './lifecycle/lifecycle.processor.js';
import { ScheduleKeeper } from './schedule-keeper.js';

/** A site's slot is held for at most this long if its worker dies without releasing it. */
const SITE_LEASE_MS = 60_000;

@Module({})
export class WorkerModule {
  /** `logDestination` lets tests read the worker's log lines. */
  static forRoot(config: BrokerConfig, logDestination?: DestinationStream): DynamicModule {
    const options = loggerOptions(config.logLevel, 'broker-worker');
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config),
        WebhooksWorkerModule,
        LoggerModule.forRoot({ pinoHttp: logDestination ? [options, logDestination] : options }),
      ],
      providers: [
        {
          provide: SiteConcurrencyLimiter,
          useFactory: (redis: Redis) =>
            new SiteConcurrencyLimiter(redis, {
              keyPrefix: config.redis.queuePrefix,
              limit: config.worker.siteConcurrency,
              leaseMs: SITE_LEASE_MS,
            }),
          inject: [REDIS],
        },
        RegistrationProcessor,
        LifecycleProcessor,
        ScheduleKeeper,
      ],
    };
  }
}
