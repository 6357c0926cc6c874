import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { LifecycleJob, QueueName, deduplicationId, type LifecycleJobData, type LifecycleSweepData } from './names.js';

/** The lifecycle actions that target one registration. */
export type RegistrationAction = LifecycleJob.Verify | LifecycleJob.Update | LifecycleJob.Rotate | LifecycleJob.Delete;

/**
 * Fixed scheduler ids: `upsertJobScheduler` with the same id from every worker at start-up
 * keeps ONE scheduler in Redis, so a fleet of workers (or a restarted one) never runs a sweep
 * twice per period.
 */
export const LIFECYCLE_SCHEDULERS = {
  [LifecycleJob.VerifySweep]: 'lifecycle-verify-sweep',
  [LifecycleJob.RotationSweep]: 'lifecycle-rotation-sweep',
  [LifecycleJob.DiscoveryRefresh]: 'lifecycle-discovery-refresh',
  [LifecycleJob.Retention]: 'lifecycle-retention',
} as const;

export type LifecycleSweep = keyof typeof LIFECYCLE_SCHEDULERS;

/** Producer for the lifecycle queue. */
@Injectable()
export class LifecycleJobs {
  constructor(@InjectQueue(QueueName.Lifecycle) private readonly queue: Queue<LifecycleJobData | LifecycleSweepData>) {}

  /**
   * One job per registration, in one round trip. Deduplicated per registration AND action:
   * a second request (an API retry, the next sweep) while one is pending adds nothing, and a
   * pending `verify` does not swallow a `delete`.
   */
  async enqueue(action: RegistrationAction, items: LifecycleJobData[]): Promise<void> {
    if (!items.length) return;
    await this.queue.addBulk(
      items.map((data) => ({
        name: action,
        data,
        opts: { deduplication: { id: deduplicationId(action, data.registrationId) } },
      })),
    );
  }

  /**
   * Jobs in the queue not yet running: waiting (paused included), prioritized and delayed (a retry
   * or a busy site's wait). What a sweep's cap is held against: every one of them is held in Redis.
   */
  pendingCount(): Promise<number> {
    return this.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed');
  }

  /**
   * Creates or updates the scheduler of a sweep; safe to call from every worker at every start.
   * The first run comes one period after the scheduler is created (`startDate`; BullMQ would
   * otherwise run an `every` scheduler at once), so a deploy does not start a fleet-wide sweep;
   * an existing scheduler keeps its rhythm (BullMQ ignores `startDate` once it has run).
   */
  async schedule(sweep: LifecycleSweep, everySeconds: number): Promise<void> {
    const every = everySeconds * 1000;
    await this.queue.upsertJobScheduler(
      LIFECYCLE_SCHEDULERS[sweep],
      { every, startDate: Date.now() + every },
      { name: sweep, data: {} },
    );
  }

  /**
   * Creates the sweep's scheduler only when it is missing or has another period (Redis lost its
   * data, or the configuration changed); an existing one is left alone, so checking it every few
   * seconds never pushes its first run further away. Returns true when it had to create it.
   */
  async ensureScheduled(sweep: LifecycleSweep, everySeconds: number): Promise<boolean> {
    const existing = await this.queue.getJobScheduler(LIFECYCLE_SCHEDULERS[sweep]);
    if (existing && existing.every === everySeconds * 1000) return false;
    await this.schedule(sweep, everySeconds);
    return true;
  }
}
