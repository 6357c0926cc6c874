import { Module } from '@nestjs/common';
import { WebhooksModule } from '#registration';
import { WebhooksController } from './webhooks.controller.js';

/** The operator's webhook routes. Import next to CoreModule.forRoot(config) (which brings the queues). */
@Module({ imports: [WebhooksModule], controllers: [WebhooksController] })
export class WebhooksApiModule {}
