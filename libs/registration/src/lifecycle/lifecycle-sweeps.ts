import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  RegistrationRepository,
  type DueCursor,
  type DuePage,
  type LifecycleTarget,
  type LifecycleTargetFilter,
} from '#persistence';
import { LifecycleJob, LifecycleJobs, type RegistrationAction } from '#queue';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';

/** Rows read and jobs enqueued per round trip. */
const BATCH = 500;

/** What one sweep run did: how many due registrations it offered to the queue, and why it stopped. */
export interface SweepRun {
  enqueued: number;
  /** True when the queue held the cap of pending jobs: the next run continues with what is due. */
  stoppedAtCap: boolean;
}

/**
 * What the schedulers run: find the registrations due for an action, fleet-wide, and enqueue one
 * deduplicated job each (a registration whose job is still pending gets no second one). The
 * periodic sweeps read only due rows through partial indexes and trickle: a run stops once the
 * lifecycle queue holds `sweepMaxWaitingJobs` pending jobs, and runs every minute or so, so the
 * jobs in Redis stay bounded whatever the fleet size. The work itself happens in the
 * per-registration jobs, spread over the workers.
 */
@Injectable()
export class LifecycleSweeps {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly jobs: LifecycleJobs,
    private readonly managedKeys: ManagedKeysService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /**
   * Registrations with a client not verified for VERIFY_INTERVAL_SECONDS (never verified first).
   * Only selects and enqueues: `lastVerifiedAt` is written by the verify itself, so a verify that
   * could not run (a busy site) leaves the registration due for the next run.
   */
  verifyDue(now = new Date()): Promise<SweepRun> {
    const verifiedBefore = new Date(now.getTime() - this.config.lifecycle.verifyIntervalSeconds * 1000);
    return this.trickle(LifecycleJob.Verify, 'scheduled verification', (after, limit) =>
      this.registrations.findDueForVerify(verifiedBefore, after, limit),
    );
  }

  /**
   * Secrets with less than the configured fraction of their own lifetime left, and at most the
   * rotation window (or already expired), and broker-managed
   * signing keys older than their rotation period (rotated here: no site is called for them).
   */
  async rotateExpiring(now = new Date()): Promise<SweepRun & { signingKeysRotated: number }> {
    const { rotationWindowSeconds: windowSeconds, rotationRemainingFraction: fraction } = this.config.lifecycle;
    const run = await this.trickle(
      LifecycleJob.Rotate,
      'less than the rotation fraction of the secret lifetime is left',
      (after, limit) => this.registrations.findDueForRotation({ now, windowSeconds, fraction }, after, limit),
    );
    const { rotated } = await this.managedKeys.rotateDue(now);
    return { ...run, signingKeysRotated: rotated };
  }

  /**
   * Pages through the due rows in index order, enqueueing each page, until none is left or the
   * queue holds the cap. The pending count is read before each page and the page is cut to the
   * room left, so a run never takes the queue past the cap (another process may add jobs too:
   * the cap is then overshot by at most their jobs). Rows whose job is still pending are offered
   * again and deduplicated by their fixed job id; there are at most as many as pending jobs.
   */
  private async trickle(
    action: RegistrationAction,
    reason: string,
    page: (after: DueCursor | null, limit: number) => Promise<DuePage>,
  ): Promise<SweepRun> {
    const cap = this.config.lifecycle.sweepMaxWaitingJobs;
    let enqueued = 0;
    let after: DueCursor | null = null;
    for (;;) {
      const room = cap - (await this.jobs.pendingCount());
      if (room <= 0) return { enqueued, stoppedAtCap: true };
      const { targets, next } = await page(after, Math.min(BATCH, room));
      if (!targets.length) return { enqueued, stoppedAtCap: false };
      await this.jobs.enqueue(
        action,
        targets.map((target) => ({ ...jobTarget(target), reason })),
      );
      enqueued += targets.length;
      after = next;
    }
  }

  /** One action for every registration matching `filter` (offboarding, app updates, a changed site). */
  async enqueueAll(
    action: RegistrationAction,
    filter: LifecycleTargetFilter,
    reason: string,
  ): Promise<{ enqueued: number }> {
    let enqueued = 0;
    let afterId: string | undefined;
    for (;;) {
      const targets = await this.registrations.findLifecycleTargets(filter, afterId, BATCH);
      if (!targets.length) return { enqueued };
      await this.jobs.enqueue(
        action,
        targets.map((target) => ({ ...jobTarget(target), reason })),
      );
      enqueued += targets.length;
      afterId = targets.at(-1)!.id;
    }
  }
}

function jobTarget(target: LifecycleTarget) {
  return { tenantId: target.tenantId, registrationId: target.id, healthSystemId: target.healthSystemId };
}
