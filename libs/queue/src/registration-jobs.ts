import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import {
  QueueName,
  RegistrationJob,
  deduplicationId,
  type DiscoverJobData,
  type ReconcileJobData,
  type RegistrationJobData,
} from './names.js';

/** How often the reconciler looks for registrations whose job went missing. */
export const RECONCILE_EVERY_MS = 30_000;

/** Producer for the registration queue. */
@Injectable()
export class RegistrationJobs {
  constructor(
    @InjectQueue(QueueName.Registration)
    private readonly queue: Queue<RegistrationJobData | ReconcileJobData | DiscoverJobData>,
  ) {}

  /**
   * Enqueues one `register` job per registration in one round trip. Deduplicated by
   * registration: enqueueing again while a job is pending (a retried request, the
   * reconciler) adds nothing.
   */
  async enqueueRegister(items: RegistrationJobData[]): Promise<void> {
    await this.queue.addBulk(
      items.map((data) => ({
        name: RegistrationJob.Register,
        data,
        opts: { deduplication: { id: deduplicationId(RegistrationJob.Register, data.registrationId) } },
      })),
    );
  }

  /** Discovers a health system now (deduplicated per health system). */
  async enqueueDiscover(healthSystemId: string): Promise<void> {
    await this.queue.add(
      RegistrationJob.Discover,
      { healthSystemId },
      { deduplication: { id: deduplicationId(RegistrationJob.Discover, healthSystemId) } },
    );
  }

  /** One scheduler for the whole fleet: upserting it from every worker at start-up does not duplicate runs. */
  async scheduleReconciler(): Promise<void> {
    await this.queue.upsertJobScheduler(
      'registration-reconciler',
      { every: RECONCILE_EVERY_MS },
      { name: RegistrationJob.Reconcile, data: {} },
    );
  }
}
