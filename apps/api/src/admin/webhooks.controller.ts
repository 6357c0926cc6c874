import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parseOrThrow, type PageRequest } from '#domain';
import {
  WebhookEndpointsService,
  createWebhookEndpointSchema,
  rotateWebhookSecretSchema,
  updateWebhookEndpointSchema,
} from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ROTATE_WEBHOOK_SECRET_EXAMPLES, WEBHOOK_EXAMPLES, WEBHOOK_UPDATE_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiUuidQuery, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import {
  WebhookDeliveryPageSchema,
  WebhookEndpointPageSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  WebhookEventPageSchema,
  WebhookEventRefSchema,
} from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';
import { toDeliveryResponse, toEndpointResponse, toEventResponse, withSecret } from '../http/webhook-responses.js';

export const deliveryFilterSchema = z.object({ eventId: z.uuid().optional() });

/**
 * The documentation of the webhook operations, shared by the operator's routes (any site) and a
 * health system's own (/v1/site/webhooks): one text per operation.
 */
export const WebhookDocs = {
  create: () => [
    Doc(
      'Add a webhook endpoint',
      'A Standard Webhooks receiver for the site’s events (registration created, changed, failed, rotated, deleted, ' +
        'possibly orphaned). The signing secret (`whsec_...`) is in this answer only.',
    ),
    ApiZodBody(createWebhookEndpointSchema, 'WebhookEndpointInput', WEBHOOK_EXAMPLES),
    ApiAnswer(201, 'The endpoint, with its signing secret (shown once).', WebhookEndpointWithSecretSchema),
  ],
  list: () => [
    Doc('List webhook endpoints', 'The site’s endpoints, newest first; never a secret.'),
    ApiPageQuery(),
    ApiAnswer(200, 'One page of endpoints.', WebhookEndpointPageSchema),
  ],
  events: () => [
    Doc('List webhook events', 'The site’s events, newest first, with the exact body delivered: what can be replayed.'),
    ApiPageQuery(),
    ApiAnswer(200, 'One page of events.', WebhookEventPageSchema),
  ],
  get: () => [
    Doc('Get a webhook endpoint', 'The endpoint, whether it is enabled (and why not) and its last delivery.'),
    ApiAnswer(200, 'The endpoint.', WebhookEndpointSchema),
  ],
  update: () => [
    Doc('Change a webhook endpoint', 'Fields present are changed: URL, event types, enabled, description.'),
    ApiZodBody(updateWebhookEndpointSchema, 'WebhookEndpointUpdate', WEBHOOK_UPDATE_EXAMPLES),
    ApiAnswer(200, 'The endpoint.', WebhookEndpointSchema),
  ],
  delete: () => [
    Doc('Remove a webhook endpoint', 'Removed now (204), with its signing secret; no delivery follows.'),
    ApiAnswer(204, 'Removed.'),
  ],
  rotateSecret: () => [
    Doc(
      'Rotate a webhook signing secret',
      'A new secret, in this answer only; the old one keeps signing beside it for `overlapSeconds`.',
    ),
    ApiZodBody(rotateWebhookSecretSchema, 'WebhookSecretRotation', ROTATE_WEBHOOK_SECRET_EXAMPLES),
    ApiAnswer(200, 'The endpoint, with its new signing secret (shown once).', WebhookEndpointWithSecretSchema),
  ],
  ping: () => [
    Doc('Ping a webhook endpoint', 'Records a `ping` event for this endpoint only; it is delivered like any event.'),
    ApiAnswer(202, 'The ping event, queued.', WebhookEventRefSchema),
    ApiProblems(409),
  ],
  deliveries: () => [
    Doc('List deliveries', 'Every delivery attempt to the endpoint, newest first: outcome, status, latency, error.'),
    ApiUuidQuery('eventId', 'Only deliveries of this event.'),
    ApiPageQuery(),
    ApiAnswer(200, 'One page of deliveries.', WebhookDeliveryPageSchema),
  ],
  replay: () => [
    Doc('Replay an event', 'Delivers a past event of the site to the endpoint again, with its original id and body.'),
    ApiAnswer(202, 'The event, queued for delivery.', WebhookEventRefSchema),
    ApiProblems(409),
  ],
} satisfies Record<string, () => MethodDecorator[]>;

/** Applies one entry of `WebhookDocs`. */
export const WebhookDoc = (name: keyof typeof WebhookDocs): MethodDecorator => {
  const decorators = WebhookDocs[name]();
  return (target, key, descriptor) => {
    for (const decorator of decorators) decorator(target, key, descriptor);
  };
};

@ApiTags('operator: webhooks')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/health-systems/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  @Post()
  @WebhookDoc('create')
  async create(@UuidParam('id', 'health system') healthSystemId: string, @Body() body: unknown) {
    return withSecret(await this.webhooks.create(healthSystemId, body));
  }

  @Get()
  @WebhookDoc('list')
  async list(@UuidParam('id', 'health system') healthSystemId: string, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.list(healthSystemId, page), toEndpointResponse);
  }

  /** The health system's events, newest first: what can be replayed. Declared before `:endpointId`. */
  @Get('events')
  @WebhookDoc('events')
  async events(@UuidParam('id', 'health system') healthSystemId: string, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.listEvents(healthSystemId, page), toEventResponse);
  }

  @Get(':endpointId')
  @WebhookDoc('get')
  async get(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ) {
    return toEndpointResponse(await this.webhooks.get(healthSystemId, endpointId));
  }

  @Patch(':endpointId')
  @WebhookDoc('update')
  async update(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return toEndpointResponse(await this.webhooks.update(healthSystemId, endpointId, body));
  }

  @Delete(':endpointId')
  @HttpCode(204)
  @WebhookDoc('delete')
  async delete(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ): Promise<void> {
    await this.webhooks.delete(healthSystemId, endpointId);
  }

  @Post(':endpointId/rotate-secret')
  @HttpCode(200)
  @WebhookDoc('rotateSecret')
  async rotateSecret(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return withSecret(await this.webhooks.rotateSecret(healthSystemId, endpointId, body));
  }

  @Post(':endpointId/ping')
  @HttpCode(202)
  @WebhookDoc('ping')
  async ping(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ) {
    return this.webhooks.ping(healthSystemId, endpointId);
  }

  @Get(':endpointId/deliveries')
  @WebhookDoc('deliveries')
  async deliveries(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @PageQuery() page: PageRequest,
    @Query('eventId') eventId: unknown,
  ) {
    const filter = parseOrThrow(deliveryFilterSchema, { eventId }, 'delivery filter', 'query');
    return toListResponse(
      await this.webhooks.listDeliveries(healthSystemId, endpointId, page, filter),
      toDeliveryResponse,
    );
  }

  @Post(':endpointId/events/:eventId/replay')
  @HttpCode(202)
  @WebhookDoc('replay')
  async replay(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @UuidParam('eventId', 'webhook event') eventId: string,
  ) {
    return this.webhooks.replay(healthSystemId, endpointId, eventId);
  }
}
