import { Global, Module } from '@nestjs/common';
import { WebhookDeliveryRepository, WebhookEndpointRepository, WebhookEventRepository } from '#persistence';
import { WebhookDeliveryJobs } from './delivery-jobs.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WEBHOOK_HTTP, webhookHttpProvider } from './webhook-http.js';
import { WebhookOutbox } from './webhook-outbox.js';

const providers = [
  WebhookEndpointRepository,
  WebhookEventRepository,
  WebhookDeliveryRepository,
  WebhookOutbox,
  WebhookDeliveryJobs,
  WebhookDispatcher,
  WebhookDeliveryService,
  WebhookEndpointsService,
];

/**
 * Admin webhooks: endpoints, outbox, dispatch and delivery. Global so the use cases that change
 * registrations (in CoreModule) can inject `WebhookOutbox`. Needs what CoreModule provides
 * (database, secret store, HealthSystemRepository, AuditRepository) and the
 * webhooks queue of QueueModule.
 */
@Global()
@Module({ providers: [webhookHttpProvider, ...providers], exports: [WEBHOOK_HTTP, ...providers] })
export class WebhooksModule {}
