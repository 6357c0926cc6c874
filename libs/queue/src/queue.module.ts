import { BullModule } from '@nestjs/bullmq';
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { BullMQOtel } from 'bullmq-otel';
import type { Redis } from 'ioredis';
import type { BrokerConfig } from '#config';
import { tracingEnabled } from '#observability';
import { QueueName } from './names.js';
import { DEFAULT_JOB_OPTIONS } from './retry-policy.js';
import { RegistrationJobs } from './registration-jobs.js';
import { LifecycleJobs } from './lifecycle-jobs.js';
import { createRedisConnection, queueKeyPrefix } from './redis.js';

/** The cluster connection BullMQ's queues share (workers duplicate it for blocking reads). */
const QUEUE_CLUSTER_CONNECTION = Symbol('QueueClusterConnection');

/**
 * Queues for producers (API and worker). Each queue's key prefix is a Redis Cluster hash tag
 * (`queueKeyPrefix`) so every key of a queue lands in one slot: the same deployment works on a
 * single Redis, a managed Redis or a cluster (REDIS_CLUSTER_NODES).
 */
@Module({})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_CLUSTER_CONNECTION) private readonly cluster: Redis | undefined) {}

  static forRoot(config: BrokerConfig): DynamicModule {
    // On a single Redis BullMQ opens and closes its own connections from the URL; a cluster
    // needs an ioredis Cluster instance (BullMQ would make a plain client from options).
    const cluster = config.redis.clusterNodes?.length ? createRedisConnection(config.redis) : undefined;
    const queues = Object.values(QueueName).map((name) =>
      BullModule.registerQueue({ name, prefix: queueKeyPrefix(config.redis, name) }),
    );
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          connection: cluster ?? { url: config.redis.url },
          prefix: config.redis.queuePrefix,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
          // With tracing on, each job carries the W3C trace context of the code that added it
          // (the onboarding request, a sweep) and its processing continues that trace.
          telemetry: tracingEnabled() ? new BullMQOtel({ tracerName: 'bullmq' }) : undefined,
        }),
        ...queues,
      ],
      providers: [RegistrationJobs, LifecycleJobs, { provide: QUEUE_CLUSTER_CONNECTION, useValue: cluster }],
      exports: [RegistrationJobs, LifecycleJobs, ...queues],
    };
  }

  /** After BullMQ closed its queues and workers (Nest shuts deeper modules down first). */
  async onApplicationShutdown(): Promise<void> {
    await this.cluster?.quit().catch(() => this.cluster?.disconnect());
  }
}
