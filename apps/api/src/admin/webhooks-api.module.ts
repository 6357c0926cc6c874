import { Module } from '@nestjs/common';
import { WebhooksModule } from '#registration';
import { AuthFailureLimiterModule } from '../auth/auth-failure-limiter.js';
import { WebhooksController } from './webhooks.controller.js';
import { SiteWebhooksController } from '../site/site.controller.js';
import { HealthSystemGuard } from '../auth/health-system.guard.js';

/**
 * The operator's webhook routes. Import next to CoreModule.forRoot(config) (which brings the queues).
 * Brings the authentication failure limiter its OperatorGuard needs (one instance: the module is global).
 */
@Module({
  imports: [WebhooksModule, AuthFailureLimiterModule],
  controllers: [WebhooksController, SiteWebhooksController],
  providers: [HealthSystemGuard],
})
export class WebhooksApiModule {}
