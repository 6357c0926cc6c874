import { Injectable, Logger } from '@nestjs/common';
import { trustedTenantId, type SystemActor } from '#domain';
import { PrismaService, RegistrationRepository } from '#persistence';
import { LifecycleJob, LifecycleJobs, RegistrationJobs, type RegistrationAction } from '#queue';
import { ACTION_STATE, RegistrationStates, type LifecycleAction } from '#domain';
import { RegistrationEvents } from '../engine/registration-events.js';

const LIFECYCLE_JOB: Record<LifecycleAction, RegistrationAction> = {
  verify: LifecycleJob.Verify,
  update: LifecycleJob.Update,
  rotate: LifecycleJob.Rotate,
  delete: LifecycleJob.Delete,
};

/** A job that has not moved its registration for this long is presumed lost. */
const GRACE_MS = 2 * 60_000;
const BATCH = 1000;
const RECONCILER: SystemActor = { type: 'system', component: 'reconciler' };

/**
 * PostgreSQL, not Redis, is the record of what must happen. This sweep re-enqueues
 * registrations that wait for a job nobody holds: jobs lost with Redis data, or never
 * enqueued because the API died between its commit and the enqueue. First registrations get
 * their `register` job again; registrations held in a lifecycle state (`verifying`, `updating`,
 * `rotating`, `deleting`) get that action's job, which resumes from the state it finds
 * (LifecycleRecorder.start closes the lost run's attempt as `unknown`). Enqueueing is
 * deduplicated per registration and action, so a registration whose job is merely slow gets
 * nothing new. It also completes onboardings whose last job died between its commit and the
 * completion check.
 */
@Injectable()
export class ReconcileRegistrationsUseCase {
  private readonly logger = new Logger(ReconcileRegistrationsUseCase.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly jobs: RegistrationJobs,
    private readonly lifecycleJobs: LifecycleJobs,
    private readonly events: RegistrationEvents,
  ) {}

  async execute(
    graceMs = GRACE_MS,
  ): Promise<{ requeued: number; resumedLifecycle: number; completedOnboardings: number }> {
    const stalled = await this.registrations.findStalled(graceMs, BATCH);
    if (stalled.length) {
      await this.jobs.enqueueRegister(
        stalled.map((r) => ({ tenantId: r.tenantId, registrationId: r.id, healthSystemId: r.healthSystemId })),
      );
      this.logger.log({ count: stalled.length }, 're-enqueued registrations without progress');
    }
    const resumedLifecycle = await this.resumeLifecycleActions(graceMs);
    const completedOnboardings = await this.completeOnboardings(graceMs);
    return { requeued: stalled.length, resumedLifecycle, completedOnboardings };
  }

  private async resumeLifecycleActions(graceMs: number): Promise<number> {
    const stuck = await this.registrations.findStalledIn(RegistrationStates.lifecycleActive, graceMs, BATCH);
    for (const [action, state] of Object.entries(ACTION_STATE) as Array<[LifecycleAction, string]>) {
      const items = stuck
        .filter((r) => r.state === state)
        .map((r) => ({
          tenantId: r.tenantId,
          registrationId: r.id,
          healthSystemId: r.healthSystemId,
          reason: `resumed: no progress in ${state} for ${Math.round(graceMs / 1000)} s`,
        }));
      await this.lifecycleJobs.enqueue(LIFECYCLE_JOB[action], items);
    }
    if (stuck.length) this.logger.log({ count: stuck.length }, 're-enqueued lifecycle actions without progress');
    return stuck.length;
  }

  private async completeOnboardings(graceMs: number): Promise<number> {
    let completedOnboardings = 0;
    const open = await this.prisma.onboarding.findMany({
      where: { completedAt: null, createdAt: { lt: new Date(Date.now() - graceMs) } },
      select: { id: true, tenantId: true },
      take: BATCH,
    });
    for (const onboarding of open) {
      const completed = await this.events.completeOnboardingIfSettled(
        trustedTenantId(onboarding.tenantId),
        onboarding.id,
        RECONCILER,
      );
      if (completed) completedOnboardings++;
    }
    return completedOnboardings;
  }
}
