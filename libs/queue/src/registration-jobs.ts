import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName, RegistrationJob, deduplicationId, type RegistrationJobData } from './names.js';

/** Producer for the registration queue. */
@Injectable()
export class RegistrationJobs {
  constructor(@InjectQueue(QueueName.Registration) private readonly queue: Queue<RegistrationJobData>) {}

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
}
