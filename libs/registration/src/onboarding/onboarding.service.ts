import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  parseOrThrow,
  type Page,
  type PageRequest,
  RegistrationStates,
  type RegistrationState,
  type TenantActor,
  type TenantId,
  ValidationError,
} from '#domain';
import {
  AppRepository,
  AuditRepository,
  HealthSystemRepository,
  OnboardingRepository,
  RegistrationRepository,
  type Onboarding,
} from '#persistence';
import { RegistrationJobs, type RegistrationJobData } from '#queue';
import { idempotencyKeySchema, onboardingInputSchema } from './onboarding-input.js';

export interface OnboardingProgress extends Onboarding {
  counts: Partial<Record<RegistrationState, number>>;
  /** True once every registration of the onboarding is settled (registered, failed, orphan_suspected, deleted). */
  completed: boolean;
}

@Injectable()
export class OnboardingService implements OnApplicationShutdown {
  private readonly logger = new Logger(OnboardingService.name);
  /** Enqueues still running behind answered requests; shutdown waits for them. */
  private readonly enqueueing = new Set<Promise<void>>();

  constructor(
    private readonly apps: AppRepository,
    private readonly healthSystems: HealthSystemRepository,
    private readonly onboardings: OnboardingRepository,
    private readonly registrations: RegistrationRepository,
    private readonly jobs: RegistrationJobs,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Creates the onboarding and its registrations in one transaction and answers; one job per
   * registration is enqueued in bulk behind the answer. A replay of the same request enqueues
   * again what is still queued (deduplicated by the queue).
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
      recordCreation: (tx, onboarding) =>
        this.audit.record(
          {
            actor,
            tenantId: actor.tenantId,
            appId,
            action: 'onboarding.created',
            outcome: 'success',
            details: { onboardingId: onboarding.id, registrations: onboarding.total },
          },
          tx,
        ),
    });
    this.enqueueBehindTheAnswer(
      result.onboarding.id,
      result.queued.map((queued) => ({ tenantId: actor.tenantId, ...queued })),
    );
    return { onboarding: result.onboarding, created: result.created };
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<Onboarding>> {
    return this.onboardings.list(tenantId, page);
  }

  async progress(tenantId: TenantId, id: string): Promise<OnboardingProgress> {
    const onboarding = await this.onboardings.findById(tenantId, id);
    const counts = await this.registrations.countByState(tenantId, id);
    const settled = RegistrationStates.settled.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    // `completedAt` once the worker announced it; until then the counts, which show completion
    // the moment the last registration settles. Counts alone are not enough afterwards: a later
    // onboarding that restarts one of this onboarding's failed registrations takes it over.
    return { ...onboarding, counts, completed: onboarding.completedAt !== null || settled === onboarding.total };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.enqueueing);
  }

  /**
   * The registrations are committed in `queued` before this runs, so the answer need not wait
   * for Redis: enqueueing 1,000 jobs took 100-150 ms on a loaded machine, over half of the 202's
   * time. Nothing is lost if it fails or the process dies first: the reconciler enqueues every
   * registration still `queued` after its grace period, and a replay of the request enqueues
   * them at once.
   */
  private enqueueBehindTheAnswer(onboardingId: string, jobs: RegistrationJobData[]): void {
    if (!jobs.length) return;
    // Started on the next turn of the event loop: serialising 1,000 jobs takes tens of ms of
    // this thread, which would otherwise run before the answer is written.
    const enqueue = nextTurn()
      .then(() => this.jobs.enqueueRegister(jobs))
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.error(
            { onboardingId, jobs: jobs.length, err: error },
            'enqueueing the onboarding failed; the reconciler will enqueue its registrations',
          ),
      );
    this.enqueueing.add(enqueue);
    void enqueue.finally(() => this.enqueueing.delete(enqueue));
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
