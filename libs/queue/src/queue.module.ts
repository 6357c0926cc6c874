import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { BullMQOtel } from 'bullmq-otel';
import type { BrokerConfig } from '#config';
import { tracingEnabled } from '#observability';
import { QueueName } from './names.js';
import { DEFAULT_JOB_OPTIONS } from './retry-policy.js';
import { RegistrationJobs } from './registration-jobs.js';
import { LifecycleJobs } from './lifecycle-jobs.js';

/**
 * Queues for producers (API and worker). The key prefix is a Redis Cluster hash tag
 * (`{broker}` by default) so every key of a queue lands in one slot: the same deployment
 * works on a single Redis, a managed Redis or a cluster.
 */
@Module({})
export class QueueModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    const queues = Object.values(QueueName).map((name) => BullModule.registerQueue({ name }));
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          // BullMQ opens and closes its own connections from the URL.
          connection: { url: config.redis.url },
          prefix: config.redis.queuePrefix,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
          // With tracing on, each job carries the W3C trace context of the code that added it
          // (the onboarding request, a sweep) and its processing continues that trace.
          telemetry: tracingEnabled() ? new BullMQOtel({ tracerName: 'bullmq' }) : undefined,
        }),
        ...queues,
      ],
      providers: [RegistrationJobs, LifecycleJobs],
      exports: [RegistrationJobs, LifecycleJobs, ...queues],
    };
  }
}
