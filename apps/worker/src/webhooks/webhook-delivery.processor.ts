import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { QueueName, RetryLaterError, brokerBackoffStrategy } from '#queue';
import { WEBHOOK_DELIVERY_JOB, WebhookDeliveryService, type WebhookDeliveryJobData } from '#registration';
import { WORKER_OPTIONS, logWorkerErrors } from '../worker-options.js';

/**
 * One delivery attempt per job run. Every endpoint's deliveries are separate jobs and the
 * worker runs many at once (WORKER_CONCURRENCY), so a slow or dead receiver holds one slot
 * for at most the 15 s timeout and never delays the others. Retries come back through
 * `RetryLaterError`, whose delay the broker's backoff strategy applies as is.
 */
@Processor(QueueName.Webhooks, { ...WORKER_OPTIONS, settings: { backoffStrategy: brokerBackoffStrategy } })
export class WebhookDeliveryProcessor extends WorkerHost implements OnModuleInit {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(
    private readonly delivery: WebhookDeliveryService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    this.worker.concurrency = this.config.worker.concurrency;
    logWorkerErrors(this.worker, (context, message) => this.logger.warn(context, message));
  }

  async process(job: Job<WebhookDeliveryJobData>): Promise<unknown> {
    if (job.name !== WEBHOOK_DELIVERY_JOB)
      throw new UnrecoverableError(`no handler for job "${job.name}" on queue webhooks`);
    const attempts = job.opts.attempts ?? 1;
    const attempt = { number: job.attemptsMade + 1, final: job.attemptsMade + 1 >= attempts };
    const context = { eventId: job.data.eventId, endpointId: job.data.endpointId, attempt: attempt.number };
    try {
      const result = await this.delivery.deliver(job.data, attempt, new Date(job.timestamp));
      this.logger.log({ ...context, ...result }, 'webhook delivery finished');
      return result;
    } catch (error) {
      if (error instanceof RetryLaterError)
        this.logger.log({ ...context, retryInMs: error.delayMs }, 'webhook delivery will be retried');
      throw error;
    }
  }
}
