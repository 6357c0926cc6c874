import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  JOBS_BY_QUEUE,
  QueueName,
  RegistrationJob,
  SiteConcurrencyLimiter,
  brokerBackoffStrategy,
  type DiscoverJobData,
  type ReconcileJobData,
  type RegistrationJobData,
} from '#queue';
import { DiscoverHealthSystemUseCase, ReconcileRegistrationsUseCase, RegisterClientUseCase } from '#registration';
import { runJob, type JobHandler } from '../job-runner.js';
import { assertEveryJobHasAHandler, WORKER_OPTIONS, logWorkerErrors } from '../worker-options.js';

@Processor(QueueName.Registration, { ...WORKER_OPTIONS, settings: { backoffStrategy: brokerBackoffStrategy } })
export class RegistrationProcessor extends WorkerHost implements OnModuleInit {
  private readonly handlers: Record<
    RegistrationJob,
    JobHandler<RegistrationJobData | ReconcileJobData | DiscoverJobData>
  >;

  constructor(
    registerClient: RegisterClientUseCase,
    reconcile: ReconcileRegistrationsUseCase,
    discover: DiscoverHealthSystemUseCase,
    private readonly siteLimiter: SiteConcurrencyLimiter,
    private readonly logger: PinoLogger,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    super();
    this.handlers = {
      [RegistrationJob.Register]: (job, attempt) => registerClient.execute(job.data as RegistrationJobData, attempt),
      [RegistrationJob.Reconcile]: () => reconcile.execute(config.reconciler.graceSeconds * 1000),
      [RegistrationJob.Discover]: (job, attempt) =>
        discover.execute((job.data as DiscoverJobData).healthSystemId, attempt),
    };
  }

  async onModuleInit(): Promise<void> {
    assertEveryJobHasAHandler(QueueName.Registration, JOBS_BY_QUEUE[QueueName.Registration], this.handlers);
    this.worker.concurrency = this.config.worker.concurrency;
    logWorkerErrors(this.worker, (context, message) => this.logger.warn(context, message));
    // The reconciler's scheduler is kept by the ScheduleKeeper.
  }

  process(job: Job<RegistrationJobData | ReconcileJobData | DiscoverJobData>, token?: string): Promise<unknown> {
    return runJob(QueueName.Registration, job, token, {
      handlers: this.handlers,
      logger: this.logger,
      siteLimiter: this.siteLimiter,
    });
  }
}
