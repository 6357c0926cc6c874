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

/** The reconciler's scheduler id: fixed, so every worker upserting it keeps one scheduler. */
export const RECONCILER_SCHEDULER_ID = 'registration-reconciler';

/**
 * Jobs per `addBulk` (one MULTI each). The chunks of a large onboarding are sent at once, so
 * Redis runs one chunk while the client serialises the next (1,000 jobs: 94-159 ms as one MULTI,
 * 53 ms as ten concurrent ones here), and no single MULTI holds Redis, which every worker is
 * polling, for the whole onboarding.
 */
const ENQUEUE_CHUNK_SIZE = 100;

/** Producer for the registration queue. */
@Injectable()
export class RegistrationJobs {
  constructor(
    @InjectQueue(QueueName.Registration)
    private readonly queue: Queue<RegistrationJobData | ReconcileJobData | DiscoverJobData>,
  ) {}

  /**
   * Enqueues one `register` job per registration, in concurrent chunks. Deduplicated by
   * registration: enqueueing again while a job is pending (a retried request, the reconciler)
   * adds nothing, so a chunk that failed is repaired by a replay or by the reconciler.
   */
  async enqueueRegister(items: RegistrationJobData[]): Promise<void> {
    const chunks: RegistrationJobData[][] = [];
    for (let start = 0; start < items.length; start += ENQUEUE_CHUNK_SIZE) {
      chunks.push(items.slice(start, start + ENQUEUE_CHUNK_SIZE));
    }
    await Promise.all(
      chunks.map((chunk) =>
        this.queue.addBulk(
          chunk.map((data) => ({
            name: RegistrationJob.Register,
            data,
            opts: { deduplication: { id: deduplicationId(RegistrationJob.Register, data.registrationId) } },
          })),
        ),
      ),
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

  /**
   * One scheduler for the whole fleet, created when missing (at start-up, and whenever the
   * schedule keeper finds it gone with Redis data). Returns true when it had to create it. A new
   * scheduler runs at once, so a flushed Redis is repaired within one period.
   */
  async ensureReconciler(everySeconds: number): Promise<boolean> {
    const existing = await this.queue.getJobScheduler(RECONCILER_SCHEDULER_ID);
    if (existing && existing.every === everySeconds * 1000) return false;
    await this.queue.upsertJobScheduler(
      RECONCILER_SCHEDULER_ID,
      { every: everySeconds * 1000 },
      { name: RegistrationJob.Reconcile, data: {} },
    );
    return true;
  }
}

/** What a registration job ends with (its BullMQ return value). */
export type RegisterOutcome = 'registered' | 'failed' | 'nothing_to_do' | 'awaiting_site';
