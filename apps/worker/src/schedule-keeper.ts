import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { LifecycleJob, LifecycleJobs, REDIS, RegistrationJobs, type LifecycleSweep } from '#queue';

/**
 * Keeps the fleet's schedules in Redis: the reconciler (which repairs lost jobs) and the lifecycle
 * sweeps. They live in Redis, so a FLUSHALL or a Redis restart without persistence takes them away
 * with the work they were meant to repair. Every worker checks them at start-up, every reconciler
 * period and whenever its Redis connection becomes ready again, and re-creates only what is
 * missing (fixed ids: any number of workers doing this keep one scheduler each). A re-created
 * reconciler runs at once, so lost jobs are back within one period, without restarting workers.
 */
@Injectable()
export class ScheduleKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #onReady = () => void this.check('redis reconnected');

  constructor(
    private readonly registrationJobs: RegistrationJobs,
    private readonly lifecycleJobs: LifecycleJobs,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(ScheduleKeeper.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ensure('start-up');
    this.#timer = setInterval(() => void this.check('periodic check'), this.config.reconciler.intervalSeconds * 1000);
    this.#timer.unref();
    this.redis.on('ready', this.#onReady);
  }

  onApplicationShutdown(): void {
    clearInterval(this.#timer);
    this.redis.off('ready', this.#onReady);
  }

  /** One check at a time; a failure (Redis still down) is logged and the next trigger tries again. */
  check(trigger: string): Promise<void> {
    this.#running ??= this.ensure(trigger)
      .catch((error: unknown) => this.logger.warn({ err: error, trigger }, 'could not check the schedules'))
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Creates every missing schedule; returns after Redis answered for each. */
  async ensure(trigger: string): Promise<void> {
    const { lifecycle, reconciler, retention } = this.config;
    const sweeps: Array<[LifecycleSweep, number]> = [
      [LifecycleJob.VerifySweep, lifecycle.verifySweepIntervalSeconds],
      [LifecycleJob.RotationSweep, lifecycle.rotationSweepIntervalSeconds],
      [LifecycleJob.DiscoveryRefresh, lifecycle.discoveryRefreshIntervalSeconds],
      [LifecycleJob.Retention, retention.intervalSeconds],
    ];
    const created: string[] = [];
    if (await this.registrationJobs.ensureReconciler(reconciler.intervalSeconds)) created.push('reconciler');
    for (const [sweep, every] of sweeps) {
      if (await this.lifecycleJobs.ensureScheduled(sweep, every)) created.push(sweep);
    }
    if (created.length) this.logger.info({ created, trigger }, 'schedules created');
  }
}
