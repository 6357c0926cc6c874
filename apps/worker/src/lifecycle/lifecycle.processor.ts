import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  JOBS_BY_QUEUE,
  LifecycleJob,
  QueueName,
  SiteConcurrencyLimiter,
  brokerBackoffStrategy,
  type LifecycleJobData,
  type LifecycleSweepData,
} from '#queue';
import {
  DeleteClientUseCase,
  LifecycleSweeps,
  ManualRegistration,
  RefreshDiscoveryUseCase,
  RetentionSweep,
  RotateSecretUseCase,
  UpdateClientUseCase,
  VerifyClientUseCase,
} from '#registration';
import { SECRET_STORE_HEALTH, type SecretStoreHealth } from '#secrets';
import { runJob, type JobHandler } from '../job-runner.js';
import { assertEveryJobHasAHandler, WORKER_OPTIONS, logWorkerErrors } from '../worker-options.js';

type LifecycleData = LifecycleJobData | LifecycleSweepData;

/**
 * Actions on one registration wait while the secret store fails: each may receive a new secret or
 * registration access token (or a new client) from the site that it must store at once.
 */
const NEEDS_SECRET_STORE: ReadonlySet<string> = new Set([
  LifecycleJob.Verify,
  LifecycleJob.Update,
  LifecycleJob.Rotate,
  LifecycleJob.Delete,
]);

/**
 * The lifecycle queue: RFC 7592 verify / update / rotate / delete of one registration (holding a
 * slot of the site's concurrency limit, like registration), the scheduled sweeps and the retention sweep.
 */
@Processor(QueueName.Lifecycle, { ...WORKER_OPTIONS, settings: { backoffStrategy: brokerBackoffStrategy } })
export class LifecycleProcessor extends WorkerHost implements OnModuleInit {
  private readonly handlers: Record<LifecycleJob, JobHandler<LifecycleData>>;

  constructor(
    verify: VerifyClientUseCase,
    update: UpdateClientUseCase,
    rotate: RotateSecretUseCase,
    remove: DeleteClientUseCase,
    sweeps: LifecycleSweeps,
    refreshDiscovery: RefreshDiscoveryUseCase,
    retention: RetentionSweep,
    manual: ManualRegistration,
    private readonly siteLimiter: SiteConcurrencyLimiter,
    private readonly logger: PinoLogger,
    @Inject(SECRET_STORE_HEALTH) private readonly storeHealth: SecretStoreHealth,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    super();
    const one = (job: Job<LifecycleData>) => job.data as LifecycleJobData;
    // Clients registered by hand (and registrations awaiting the site) have no RFC 7592: their
    // update, rotation and removal become requests to the site's administrators.
    // Verify needs no such turn: a client entered by hand is verified by the engine like any
    // other (a token request where the grant allows; it has no RFC 7592), and a registration
    // still awaiting the site is not startable, so the engine answers `nothing_to_do` itself.
    // Verify runs for the whole fleet every day: the lookup would cost it two queries each.
    const orManual =
      (action: 'update' | 'rotate' | 'delete', engine: JobHandler<LifecycleData>): JobHandler<LifecycleData> =>
      async (job, attempt) =>
        (await manual.lifecycle(action, one(job).tenantId, one(job).registrationId)) ?? engine(job, attempt);
    this.handlers = {
      [LifecycleJob.Verify]: (job, attempt) => verify.execute(one(job), attempt),
      [LifecycleJob.Update]: orManual('update', (job, attempt) => update.execute(one(job), attempt)),
      [LifecycleJob.Rotate]: orManual('rotate', (job, attempt) => rotate.execute(one(job), attempt)),
      [LifecycleJob.Delete]: orManual('delete', (job, attempt) => remove.execute(one(job), attempt)),
      [LifecycleJob.VerifySweep]: () => sweeps.verifyDue(),
      // The rotation sweep also re-sends reminders of requests to sites left open too long.
      [LifecycleJob.RotationSweep]: async () => ({
        ...(await sweeps.rotateExpiring()),
        ...(await manual.sendDueReminders()),
      }),
      [LifecycleJob.DiscoveryRefresh]: () => refreshDiscovery.execute(),
      [LifecycleJob.Retention]: () => retention.run(),
    };
  }

  async onModuleInit(): Promise<void> {
    assertEveryJobHasAHandler(QueueName.Lifecycle, JOBS_BY_QUEUE[QueueName.Lifecycle], this.handlers);
    this.worker.concurrency = this.config.worker.concurrency;
    logWorkerErrors(this.worker, (context, message) => this.logger.warn(context, message));
    // The sweeps' schedulers are kept by the ScheduleKeeper.
  }

  process(job: Job<LifecycleData>, token?: string): Promise<unknown> {
    return runJob(QueueName.Lifecycle, job, token, {
      handlers: this.handlers,
      logger: this.logger,
      siteLimiter: this.siteLimiter,
      storeGuard: { health: this.storeHealth, jobs: NEEDS_SECRET_STORE },
    });
  }
}
