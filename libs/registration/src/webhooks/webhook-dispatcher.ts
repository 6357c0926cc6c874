import { Injectable } from '@nestjs/common';
import { WebhookEventRepository } from '#persistence';
import { WebhookDeliveryJobs } from './delivery-jobs.js';

/** Events claimed per transaction. */
export const WEBHOOK_DISPATCH_BATCH = 100;

/**
 * Moves events from the outbox to the webhooks queue: one delivery job per subscribed, enabled
 * endpoint. Safe to run in every worker at once (rows are claimed with SKIP LOCKED, job ids
 * are deterministic).
 */
@Injectable()
export class WebhookDispatcher {
  constructor(
    private readonly events: WebhookEventRepository,
    private readonly jobs: WebhookDeliveryJobs,
  ) {}

  /** Dispatches one batch; returns how many events it claimed (0 when idle, after one cheap probe). */
  async dispatchBatch(batchSize: number = WEBHOOK_DISPATCH_BATCH): Promise<number> {
    if (!(await this.events.hasUndispatched())) return 0;
    return this.events.dispatchPending(batchSize, (fanOut) => this.jobs.enqueue(fanOut));
  }
}
