import { Injectable, Logger } from '@nestjs/common';
import { RegistrationRepository } from '#persistence';
import { RegistrationJobs } from '#queue';

/** A job that has not moved its registration for this long is presumed lost. */
const GRACE_MS = 2 * 60_000;
const BATCH = 1000;

/**
 * PostgreSQL, not Redis, is the record of what must happen. This sweep re-enqueues
 * registrations that wait for a job nobody holds: jobs lost with Redis data, or never
 * enqueued because the API died between its commit and the enqueue. Enqueueing is
 * deduplicated per registration, so a registration whose job is merely slow gets nothing new.
 */
@Injectable()
export class ReconcileRegistrationsUseCase {
  private readonly logger = new Logger(ReconcileRegistrationsUseCase.name);

  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly jobs: RegistrationJobs,
  ) {}

  async execute(graceMs = GRACE_MS): Promise<{ requeued: number }> {
    const stalled = await this.registrations.findStalled(graceMs, BATCH);
    if (stalled.length) {
      await this.jobs.enqueueRegister(
        stalled.map((r) => ({ tenantId: r.tenantId, registrationId: r.id, healthSystemId: r.healthSystemId })),
      );
      this.logger.log({ count: stalled.length }, 're-enqueued registrations without progress');
    }
    return { requeued: stalled.length };
  }
}
