import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { RegistrationStates } from '#domain';
import { RegistrationRepository, type LifecycleTargetFilter } from '#persistence';
import { LifecycleJob, LifecycleJobs, type RegistrationAction } from '#queue';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';

/** Rows read and jobs enqueued per round trip. */
const BATCH = 500;

/**
 * What the schedulers run: find the registrations due for an action, fleet-wide, and enqueue one
 * deduplicated job each (a registration whose job is still pending from the last sweep gets no
 * second one). The work itself happens in the per-registration jobs, spread over the workers.
 */
@Injectable()
export class LifecycleSweeps {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly jobs: LifecycleJobs,
    private readonly managedKeys: ManagedKeysService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Every registration with a client at its site. */
  verifyAll(): Promise<{ enqueued: number }> {
    return this.enqueueAll(
      LifecycleJob.Verify,
      { states: [...RegistrationStates.startable], withCredential: true },
      'scheduled verification',
    );
  }

  /**
   * Secrets with less than the configured fraction of their own lifetime left, and at most the
   * rotation window (or already expired), and broker-managed
   * signing keys older than their rotation period (rotated here: no site is called for them).
   */
  async rotateExpiring(now = new Date()): Promise<{ enqueued: number; signingKeysRotated: number }> {
    const { rotationWindowSeconds: windowSeconds, rotationRemainingFraction: fraction } = this.config.lifecycle;
    const { enqueued } = await this.enqueueAll(
      LifecycleJob.Rotate,
      { states: [...RegistrationStates.startable], withCredential: true, secretDue: { now, windowSeconds, fraction } },
      'less than the rotation fraction of the secret lifetime is left',
    );
    const { rotated } = await this.managedKeys.rotateDue(now);
    return { enqueued, signingKeysRotated: rotated };
  }

  /** One action for every registration matching `filter` (offboarding, app updates, sweeps). */
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
        targets.map((target) => ({
          tenantId: target.tenantId,
          registrationId: target.id,
          healthSystemId: target.healthSystemId,
          reason,
        })),
      );
      enqueued += targets.length;
      afterId = targets.at(-1)!.id;
    }
  }
}
