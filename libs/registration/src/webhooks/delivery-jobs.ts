import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { WebhookFanOut } from '#persistence';
import { QueueName } from '#queue';
import { webhookMaxAttempts } from './retry-schedule.js';

/** The one job name of the webhooks queue (a contract with deployed workers, like the queue name). */
export const WEBHOOK_DELIVERY_JOB = 'deliver';

/** One event for one endpoint. `replay` marks an operator's replay (a job of its own, same webhook-id). */
export interface WebhookDeliveryJobData extends WebhookFanOut {
  replay: boolean;
}

/**
 * BullMQ refuses `:` in custom job ids, so the pair is joined with `_`. The id makes dispatch
 * idempotent: a dispatcher that enqueues the same event again (after a crash before its
 * commit) adds nothing while the first job is kept.
 */
export function webhookDeliveryJobId(eventId: string, endpointId: string): string {
  return `${eventId}_${endpointId}`;
}

/** Producer for the webhooks queue. */
@Injectable()
export class WebhookDeliveryJobs {
  private readonly options: JobsOptions;

  constructor(
    @InjectQueue(QueueName.Webhooks) private readonly queue: Queue<WebhookDeliveryJobData>,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.options = {
      attempts: webhookMaxAttempts(config.webhooks.retryScheduleMs),
      // Completed ids are kept a day so a late duplicate dispatch is still recognised.
      removeOnComplete: { age: 24 * 3600 },
    };
  }

  async enqueue(fanOut: readonly WebhookFanOut[]): Promise<void> {
    await this.queue.addBulk(
      fanOut.map((item) => ({
        name: WEBHOOK_DELIVERY_JOB,
        data: { ...item, replay: false },
        opts: { ...this.options, jobId: webhookDeliveryJobId(item.eventId, item.endpointId) },
      })),
    );
  }

  async enqueueReplay(item: WebhookFanOut): Promise<void> {
    await this.queue.add(
      WEBHOOK_DELIVERY_JOB,
      { ...item, replay: true },
      {
        ...this.options,
        jobId: `${webhookDeliveryJobId(item.eventId, item.endpointId)}_replay_${randomUUID()}`,
      },
    );
  }
}
