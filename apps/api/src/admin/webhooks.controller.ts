import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parseOrThrow, type PageRequest } from '#domain';
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEventRecord } from '#persistence';
import {
  WebhookEndpointsService,
  createWebhookEndpointSchema,
  rotateWebhookSecretSchema,
  updateWebhookEndpointSchema,
  type WebhookEndpointWithSecret,
} from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** No secret field exists here: the signing secret is added only by `withSecret`, once. */
const toEndpointResponse = (endpoint: WebhookEndpointRecord) => {
  const overlapEndsAt = endpoint.signingSecret.previousExpiresAt;
  return {
    id: endpoint.id,
    healthSystemId: endpoint.healthSystemId,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
    disabledAt: iso(endpoint.disabledAt),
    disabledReason: endpoint.disabledReason,
    lastDeliveredAt: iso(endpoint.lastDeliveredAt),
    /** While set, deliveries carry a signature with the previous secret too. */
    previousSecretSignsUntil: overlapEndsAt && overlapEndsAt > new Date() ? overlapEndsAt.toISOString() : null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
};

const withSecret = ({ endpoint, signingSecret }: WebhookEndpointWithSecret) => ({
  ...toEndpointResponse(endpoint),
  /** Shown in this response only; the broker cannot show it again. */
  signingSecret: signingSecret.reveal(),
});

const toDeliveryResponse = (delivery: WebhookDeliveryRecord) => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  attempt: delivery.attempt,
  replay: delivery.replay,
  at: delivery.at.toISOString(),
  outcome: delivery.outcome,
  httpStatus: delivery.httpStatus,
  latencyMs: delivery.latencyMs,
  error: delivery.error,
  responseExcerpt: delivery.responseExcerpt,
  nextAttemptAt: iso(delivery.nextAttemptAt),
});

const toEventResponse = (event: WebhookEventRecord) => ({
  id: event.id,
  type: event.type,
  createdAt: event.createdAt.toISOString(),
  dispatchedAt: iso(event.dispatchedAt),
  payload: JSON.parse(event.body) as unknown,
});

const deliveryFilterSchema = z.object({ eventId: z.uuid().optional() });

@ApiTags('operator: webhooks')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/health-systems/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  @Post()
  @ApiZodBody(createWebhookEndpointSchema)
  async create(@UuidParam('id', 'health system') healthSystemId: string, @Body() body: unknown) {
    return withSecret(await this.webhooks.create(healthSystemId, body));
  }

  @Get()
  async list(@UuidParam('id', 'health system') healthSystemId: string, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.list(healthSystemId, page), toEndpointResponse);
  }

  /** The health system's events, newest first: what can be replayed. Declared before `:endpointId`. */
  @Get('events')
  async events(@UuidParam('id', 'health system') healthSystemId: string, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.listEvents(healthSystemId, page), toEventResponse);
  }

  @Get(':endpointId')
  async get(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ) {
    return toEndpointResponse(await this.webhooks.get(healthSystemId, endpointId));
  }

  @Patch(':endpointId')
  @ApiZodBody(updateWebhookEndpointSchema)
  async update(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return toEndpointResponse(await this.webhooks.update(healthSystemId, endpointId, body));
  }

  @Delete(':endpointId')
  @HttpCode(204)
  async delete(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ): Promise<void> {
    await this.webhooks.delete(healthSystemId, endpointId);
  }

  @Post(':endpointId/rotate-secret')
  @HttpCode(200)
  @ApiZodBody(rotateWebhookSecretSchema)
  async rotateSecret(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return withSecret(await this.webhooks.rotateSecret(healthSystemId, endpointId, body));
  }

  @Post(':endpointId/ping')
  @HttpCode(202)
  async ping(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ) {
    return this.webhooks.ping(healthSystemId, endpointId);
  }

  @Get(':endpointId/deliveries')
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
  async replay(
    @UuidParam('id', 'health system') healthSystemId: string,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @UuidParam('eventId', 'webhook event') eventId: string,
  ) {
    return this.webhooks.replay(healthSystemId, endpointId, eventId);
  }
}
