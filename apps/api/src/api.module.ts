import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { BrokerConfig } from '#config';
import { httpLoggerOptions } from '#observability';
import { CoreModule } from '#registration';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { OperatorGuard } from './auth/operator.guard.js';
import { TenantGuard } from './auth/tenant.guard.js';
import { HealthSystemGuard } from './auth/health-system.guard.js';
import { DirectoryController } from './tenant/directory.controller.js';
import { SiteController } from './site/site.controller.js';
import { AuthFailureLimiterModule } from './auth/auth-failure-limiter.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './operations/metrics.controller.js';
import { TenantsController } from './admin/tenants.controller.js';
import { HealthSystemsController } from './admin/health-systems.controller.js';
import { PossibleOrphansController } from './admin/possible-orphans.controller.js';
import { WebhooksApiModule } from './admin/webhooks-api.module.js';
import { AppsController } from './tenant/apps.controller.js';
import { PublicJwksController } from './tenant/public-jwks.controller.js';
import { OnboardingsController } from './tenant/onboardings.controller.js';
import { RegistrationsController } from './tenant/registrations.controller.js';
import { OperatorAuditController, TenantAuditController } from './tenant/audit.controller.js';
import { UdapOperatorController } from './udap/udap-operator.controller.js';
import { UdapTenantController } from './udap/udap-tenant.controller.js';
import { OperatorRegistrationRequestsController } from './manual/operator-requests.controller.js';
import { TenantRegistrationRequestsController } from './manual/tenant-requests.controller.js';
import { SiteRegistrationRequestsController } from './manual/site-requests.controller.js';

@Module({})
export class ApiModule {
  /** `logDestination` lets tests read what the API logs (to prove no secret reaches a log line). */
  static forRoot(config: BrokerConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config),
        AuthFailureLimiterModule,
        WebhooksApiModule,
        LoggerModule.forRoot({
          pinoHttp: logDestination
            ? [httpLoggerOptions(config.logLevel, 'broker-api'), logDestination]
            : httpLoggerOptions(config.logLevel, 'broker-api'),
        }),
      ],
      controllers: [
        HealthController,
        MetricsController,
        TenantsController,
        HealthSystemsController,
        OperatorAuditController,
        PossibleOrphansController,
        AppsController,
        OnboardingsController,
        RegistrationsController,
        TenantAuditController,
        PublicJwksController,
        DirectoryController,
        SiteController,
        UdapOperatorController,
        UdapTenantController,
        TenantRegistrationRequestsController,
        OperatorRegistrationRequestsController,
        SiteRegistrationRequestsController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        OperatorGuard,
        TenantGuard,
        HealthSystemGuard,
      ],
    };
  }
}
