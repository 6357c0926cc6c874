import { Module } from '@nestjs/common';
import { WebhooksModule } from '#registration';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor.js';
import { WebhookDispatchLoop } from './webhook-dispatch.loop.js';

/** Webhook dispatch and delivery. Import next to CoreModule.forRoot(config) (which brings the queues). */
@Module({ imports: [WebhooksModule], providers: [WebhookDeliveryProcessor, WebhookDispatchLoop] })
export class WebhooksWorkerModule {}
