import { Injectable, Logger } from '@nestjs/common';
import type { SystemActor } from '#domain';
import { PrismaService, RegistrationRepository } from '#persistence';
import { RegistrationJobs } from '#queue';
import { RegistrationEvents } from './registration-events.js';

/** A job that has not moved its registration for this long is presumed lost. */
const GRACE_MS = 2 * 60_000;
const BATCH = 1000;
const RECONCILER: SystemActor = { type: 'system', component: 'reconciler' };

/**
 * PostgreSQL, not Redis, is the record of what must happen. This sweep re-enqueues
 * registrations that wait for a job nobody holds: jobs lost with Redis data, or never
 * enqueued because the API died between its commit and the enqueue. Enqueueing is
 * deduplicated per registration, so a registration whose job is merely slow gets nothing new.
 * It also completes onboardings whose last job died between its commit and the completion check.
 */
@Injectable()
export class ReconcileRegistrationsUseCase {
  private readonly logger = new Logger(ReconcileRegistrationsUseCase.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly jobs: RegistrationJobs,
    private readonly events: RegistrationEvents,
  ) {}

  async execute(graceMs = GRACE_MS): Promise<{ requeued: number; completedOnboardings: number }> {
    const stalled = await this.registrations.findStalled(graceMs, BATCH);
    if (stalled.length) {
      await this.jobs.enqueueRegister(
        stalled.map((r) => ({ tenantId: r.tenantId, registrationId: r.id, healthSystemId: r.healthSystemId })),
      );
      this.logger.log({ count: stalled.length }, 're-enqueued registrations without progress');
    }
    let completedOnboardings = 0;
    const open = await this.prisma.onboarding.findMany({
      where: { completedAt: null, createdAt: { lt: new Date(Date.now() - graceMs) } },
      select: { id: true, tenantId: true },
      take: BATCH,
    });
    for (const onboarding of open) {
      const completed = await this.events.completeOnboardingIfSettled(onboarding.tenantId, onboarding.id, RECONCILER);
      if (completed) completedOnboardings++;
    }
    return { requeued: stalled.length, completedOnboardings };
  }
}
