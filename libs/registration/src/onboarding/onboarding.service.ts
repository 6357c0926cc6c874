import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ValidationError, parseOrThrow, type RegistrationState, type TenantActor, SETTLED_STATES } from '#domain';
import {
  AppRepository,
  AuditRepository,
  HealthSystemRepository,
  OnboardingRepository,
  RegistrationRepository,
  type Onboarding,
} from '#persistence';
import { RegistrationJobs } from '#queue';
import { idempotencyKeySchema, onboardingInputSchema } from './onboarding-input.js';

export interface OnboardingProgress extends Onboarding {
  counts: Partial<Record<RegistrationState, number>>;
  /** True once every registration of the onboarding is settled (registered, failed, orphan_suspected, deleted). */
  completed: boolean;
}

@Injectable()
export class OnboardingService {
  constructor(
    private readonly apps: AppRepository,
    private readonly healthSystems: HealthSystemRepository,
    private readonly onboardings: OnboardingRepository,
    private readonly registrations: RegistrationRepository,
    private readonly jobs: RegistrationJobs,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Creates the onboarding and its registrations in one transaction, then enqueues one job
   * per registration in bulk. A replay of the same request enqueues again what is still
   * queued (deduplicated by the queue), which also repairs a crash between commit and enqueue.
   */
  async start(
    actor: TenantActor,
    appId: string,
    idempotencyKey: unknown,
    input: unknown,
  ): Promise<{ onboarding: Onboarding; created: boolean }> {
    const key = parseOrThrow(idempotencyKeySchema, idempotencyKey, 'Idempotency-Key header', 'Idempotency-Key');
    const target = parseOrThrow(onboardingInputSchema, input, 'onboarding');
    const app = await this.apps.findById(actor.tenantId, appId);
    const healthSystemIds = 'allHealthSystems' in target ? await this.healthSystems.allIds() : target.healthSystemIds;
    if ('healthSystemIds' in target) await this.assertHealthSystemsExist(target.healthSystemIds);

    const result = await this.onboardings.create({
      tenantId: actor.tenantId,
      appId,
      idempotencyKey: key,
      requestHash: requestHash(appId, target),
      healthSystemIds,
      requestedMetadata: app.clientMetadata,
      metadataVersion: app.metadataVersion,
    });
    await this.jobs.enqueueRegister(result.queued.map((queued) => ({ tenantId: actor.tenantId, ...queued })));
    if (result.created) {
      await this.audit.record({
        actor,
        tenantId: actor.tenantId,
        appId,
        action: 'onboarding.created',
        outcome: 'success',
        details: { onboardingId: result.onboarding.id, registrations: result.onboarding.total },
      });
    }
    return { onboarding: result.onboarding, created: result.created };
  }

  async progress(tenantId: string, id: string): Promise<OnboardingProgress> {
    const onboarding = await this.onboardings.findById(tenantId, id);
    const counts = await this.registrations.countByState(tenantId, id);
    const settled = SETTLED_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    // `completedAt` once the worker announced it; until then the counts, which show completion
    // the moment the last registration settles. Counts alone are not enough afterwards: a later
    // onboarding that restarts one of this onboarding's failed registrations takes it over.
    return { ...onboarding, counts, completed: onboarding.completedAt !== null || settled === onboarding.total };
  }

  private async assertHealthSystemsExist(ids: string[]): Promise<void> {
    const existing = new Set(await this.healthSystems.findExistingIds(ids));
    const unknown = ids.filter((id) => !existing.has(id));
    if (unknown.length) {
      throw new ValidationError('onboarding is invalid', [
        { path: 'healthSystemIds', message: `unknown health systems: ${unknown.slice(0, 20).join(', ')}` },
      ]);
    }
  }
}

/** Identifies "the same request" for an idempotency key: app and targets, order-insensitive. */
function requestHash(appId: string, target: { healthSystemIds: string[] } | { allHealthSystems: true }): string {
  const targets = 'allHealthSystems' in target ? 'all' : [...target.healthSystemIds].sort().join(',');
  return createHash('sha256').update(`${appId}\n${targets}`).digest('hex');
}
