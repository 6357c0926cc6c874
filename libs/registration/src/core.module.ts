import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { REGISTRATION_LEDGER, SECRET_STORE } from '#domain';
import {
  ApiKeyRepository,
  AppSigningKeyRepository,
  AppRepository,
  AuditRepository,
  DiscoveryCacheRepository,
  HealthSystemKeyRepository,
  HealthSystemRepository,
  OnboardingRepository,
  PgRegistrationLedger,
  PrismaService,
  SecretsDatabase,
  PossibleOrphanRepository,
  RegistrationAttemptRepository,
  RetentionRepository,
  RegistrationRequestRepository,
  RegistrationRepository,
  SiteRegistrationRepository,
  TenantRepository,
  VerificationTargets,
} from '#persistence';
import { QueueModule, REDIS, createRedisConnection } from '#queue';
import {
  SECRET_STORE_CANARY,
  SECRET_STORE_HEALTH,
  SecretStoreCanary,
  createSecretStore,
  type CircuitBreakingSecretStore,
} from '#secrets';
import { setRegistrationStateSource } from '#observability';
import { ApiKeyAuthenticator } from './tenancy/api-key-authenticator.js';
import { TenancyService } from './tenancy/tenancy.service.js';
import { HealthSystemKeysService } from './tenancy/health-system-keys.service.js';
import { AppsService } from './apps/apps.service.js';
import { ManagedKeysService } from './signing-keys/managed-keys.service.js';
import { HealthSystemsService } from './directory/health-systems.service.js';
import { DiscoverHealthSystemUseCase } from './directory/discover-health-system.use-case.js';
import { OnboardingService } from './onboarding/onboarding.service.js';
import { RegistrationsService } from './registrations/registrations.service.js';
import { RegisterClientUseCase } from './registering/register-client.use-case.js';
import { RequestedMetadataBuilder } from './engine/requested-metadata.js';
import { RegistrationEvents } from './engine/registration-events.js';
import { FirstRegistrationFailure } from './engine/first-registration-failure.js';
import { SiteRegistration } from './engine/site-registration.js';
import { AuditLogService } from './audit/audit-log.service.js';
import { PossibleOrphans } from './registering/possible-orphans.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { instrumentSecretStore } from './outbound/instrumented-secret-store.js';
import { ReconcileRegistrationsUseCase } from './registering/reconcile-registrations.use-case.js';
import { SAFE_HTTP, SMART_DISCOVERY, outboundProviders } from './outbound/outbound.providers.js';
import { RetentionSweep } from './retention/retention-sweep.js';
import { lifecycleProviders } from './lifecycle/index.js';
import { udapProviders, udapServices } from './udap/index.js';
import { manualProviders } from './manual/index.js';

/** The secret store behind its circuit breaker, before instrumentation (SECRET_STORE and SECRET_STORE_HEALTH share it). */
const GUARDED_SECRET_STORE = Symbol('GuardedSecretStore');

const repositories = [
  TenantRepository,
  ApiKeyRepository,
  AppRepository,
  HealthSystemRepository,
  AuditRepository,
  RegistrationRepository,
  RegistrationAttemptRepository,
  OnboardingRepository,
  DiscoveryCacheRepository,
  AppSigningKeyRepository,
  PossibleOrphanRepository,
  RegistrationRequestRepository,
  HealthSystemKeyRepository,
  SiteRegistrationRepository,
  RetentionRepository,
  VerificationTargets,
];
const useCases = [
  TenancyService,
  ApiKeyAuthenticator,
  HealthSystemKeysService,
  AppsService,
  HealthSystemsService,
  OnboardingService,
  RequestedMetadataBuilder,
  RegisterClientUseCase,
  RegistrationEvents,
  FirstRegistrationFailure,
  SiteRegistration,
  AuditLogService,
  PossibleOrphans,
  ManagedKeysService,
  DiscoverHealthSystemUseCase,
  ReconcileRegistrationsUseCase,
  RegistrationsService,
  RetentionSweep,
];

/**
 * Everything the API and the worker share: configuration, database, Redis, secret store and
 * use cases (repositories are this module's own). Each app imports `CoreModule.forRoot(config)` once.
 */
@Global()
@Module({})
export class CoreModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly prisma: PrismaService,
    @Inject(SECRET_STORE_CANARY) private readonly canary: SecretStoreCanary | null,
  ) {}

  async onModuleInit(): Promise<void> {
    // Fail fast: in AWS mode a missing permission or an unusable KMS key stops the process here,
    // with a message naming it, before any processor takes a job (they start after this module).
    await this.canary?.assertWorking();
    // `broker_registrations{state}` is read from PostgreSQL when Prometheus scrapes.
    setRegistrationStateSource(async () => {
      const groups = await this.prisma.registration.groupBy({ by: ['state'], _count: { _all: true } });
      return Object.fromEntries(groups.map((group) => [group.state, group._count._all]));
    });
  }

  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [QueueModule.forRoot(config), WebhooksModule],
      providers: [
        { provide: BROKER_CONFIG, useValue: config },
        PrismaService,
        SecretsDatabase,
        { provide: REDIS, useFactory: () => createRedisConnection(config.redis) },
        {
          provide: GUARDED_SECRET_STORE,
          useFactory: (database: SecretsDatabase, redis: Redis) =>
            createSecretStore(config, {
              prisma: database.client,
              direct: { pool: database.pool, preparedStatements: config.database.preparedStatements ?? true },
              redis,
            }),
          inject: [SecretsDatabase, REDIS],
        },
        {
          provide: SECRET_STORE,
          useFactory: (store: CircuitBreakingSecretStore) => instrumentSecretStore(store),
          inject: [GUARDED_SECRET_STORE],
        },
        // The breaker in front of the store knows whether it is failing.
        { provide: SECRET_STORE_HEALTH, useExisting: GUARDED_SECRET_STORE },
        // Secrets Manager's permissions and KMS key, proven at start-up and by readiness probes
        // (behind the write rate limit, beside the circuit breaker).
        {
          provide: SECRET_STORE_CANARY,
          useFactory: (store: CircuitBreakingSecretStore) =>
            config.secrets.backend === 'aws' ? new SecretStoreCanary(store.unguarded) : null,
          inject: [GUARDED_SECRET_STORE],
        },
        // The registration protocol's steps, group-committed on Prisma's pool.
        { provide: REGISTRATION_LEDGER, useClass: PgRegistrationLedger },
        ...outboundProviders,
        ...repositories,
        ...useCases,
        ...lifecycleProviders,
        ...udapProviders,
        ...manualProviders,
      ],
      exports: [
        BROKER_CONFIG,
        PrismaService,
        REDIS,
        SECRET_STORE,
        SECRET_STORE_HEALTH,
        SECRET_STORE_CANARY,
        SAFE_HTTP,
        SMART_DISCOVERY,
        // Repositories stay inside: the apps call use cases and services. WebhooksModule (global,
        // imported here) records audit events and reads health systems through these two.
        HealthSystemRepository,
        AuditRepository,
        ...useCases,
        ...lifecycleProviders,
        ...udapServices,
        ...manualProviders,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
