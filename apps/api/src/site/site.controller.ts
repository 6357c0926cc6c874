import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { REGISTRATION_STATES, parseOrThrow, type PageRequest, type HealthSystemActor } from '#domain';
import type { SiteRegistration } from '#persistence';
import { HealthSystemKeysService, HealthSystemsService, WebhookEndpointsService } from '#registration';
import type { z } from 'zod';
import { deliveryFilterSchema, WebhookDoc } from '../admin/webhooks.controller.js';
import { CurrentSite, HealthSystemGuard } from '../auth/health-system.guard.js';
import { ApiAnswer, ApiPageQuery, ApiUuidQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toDirectoryEntry } from '../http/responses.js';
import { DirectoryEntrySchema, SiteRegistrationPageSchema, type SiteRegistrationSchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';
import { toDeliveryResponse, toEndpointResponse, toEventResponse, withSecret } from '../http/webhook-responses.js';

const toSiteRegistration = (registration: SiteRegistration): z.output<typeof SiteRegistrationSchema> => ({
  ...registration,
  since: registration.since.toISOString(),
  createdAt: registration.createdAt.toISOString(),
});

/**
 * A health system's administrators (an `srbh_` key): what is registered at their site, and
 * their own webhook endpoints, deliveries and replays. The key's health system scopes every
 * call: another site's ids are not found, and no credential is ever shown.
 */
@ApiTags('health-system administrator')
@ApiSecurity('healthSystem')
@UseGuards(HealthSystemGuard)
@Controller('v1/site')
export class SiteController {
  constructor(
    private readonly healthSystems: HealthSystemsService,
    private readonly keys: HealthSystemKeysService,
  ) {}

  @Get()
  @Doc('Get the caller’s health system', 'The site the key belongs to, and what the broker’s discovery found there.')
  @ApiAnswer(200, 'The health system.', DirectoryEntrySchema)
  async get(@CurrentSite() site: HealthSystemActor) {
    const healthSystem = await this.healthSystems.get(site.healthSystemId);
    const support = await this.healthSystems.managementSupport([site.healthSystemId]);
    return toDirectoryEntry(healthSystem, support.get(site.healthSystemId) ?? null);
  }

  @Get('registrations')
  @Doc(
    'List what is registered at the site',
    'Every client the broker registered (or is registering) at the caller’s site, newest first: tenant, app, client ' +
      'id, state and since when. Never a credential.',
  )
  @ApiQuery({
    name: 'state',
    required: false,
    description: 'Only registrations in this state.',
    schema: { type: 'string', enum: [...REGISTRATION_STATES] },
  })
  @ApiUuidQuery('tenantId', 'Only this tenant’s registrations.')
  @ApiUuidQuery('appId', 'Only this app’s registrations.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of registrations.', SiteRegistrationPageSchema)
  async registrations(
    @CurrentSite() site: HealthSystemActor,
    @Query() query: Record<string, unknown>,
    @PageQuery() page: PageRequest,
  ) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    return toListResponse(await this.keys.registrations(site.healthSystemId, filter, page), toSiteRegistration);
  }
}

/** The site's own webhook endpoints: the operator's webhook routes, bound to the key's health system. */
@ApiTags('health-system administrator')
@ApiSecurity('healthSystem')
@UseGuards(HealthSystemGuard)
@Controller('v1/site/webhooks')
export class SiteWebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  @Post()
  @WebhookDoc('create')
  async create(@CurrentSite() site: HealthSystemActor, @Body() body: unknown) {
    return withSecret(await this.webhooks.create(site.healthSystemId, body, site));
  }

  @Get()
  @WebhookDoc('list')
  async list(@CurrentSite() site: HealthSystemActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.list(site.healthSystemId, page), toEndpointResponse);
  }

  /** Declared before `:endpointId`. */
  @Get('events')
  @WebhookDoc('events')
  async events(@CurrentSite() site: HealthSystemActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.webhooks.listEvents(site.healthSystemId, page), toEventResponse);
  }

  @Get(':endpointId')
  @WebhookDoc('get')
  async get(@CurrentSite() site: HealthSystemActor, @UuidParam('endpointId', 'webhook endpoint') endpointId: string) {
    return toEndpointResponse(await this.webhooks.get(site.healthSystemId, endpointId));
  }

  @Patch(':endpointId')
  @WebhookDoc('update')
  async update(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return toEndpointResponse(await this.webhooks.update(site.healthSystemId, endpointId, body, site));
  }

  @Delete(':endpointId')
  @HttpCode(204)
  @WebhookDoc('delete')
  async delete(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
  ): Promise<void> {
    await this.webhooks.delete(site.healthSystemId, endpointId, site);
  }

  @Post(':endpointId/rotate-secret')
  @HttpCode(200)
  @WebhookDoc('rotateSecret')
  async rotateSecret(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @Body() body: unknown,
  ) {
    return withSecret(await this.webhooks.rotateSecret(site.healthSystemId, endpointId, body, site));
  }

  @Post(':endpointId/ping')
  @HttpCode(202)
  @WebhookDoc('ping')
  async ping(@CurrentSite() site: HealthSystemActor, @UuidParam('endpointId', 'webhook endpoint') endpointId: string) {
    return this.webhooks.ping(site.healthSystemId, endpointId);
  }

  @Get(':endpointId/deliveries')
  @WebhookDoc('deliveries')
  async deliveries(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @PageQuery() page: PageRequest,
    @Query('eventId') eventId: unknown,
  ) {
    const filter = parseOrThrow(deliveryFilterSchema, { eventId }, 'delivery filter', 'query');
    return toListResponse(
      await this.webhooks.listDeliveries(site.healthSystemId, endpointId, page, filter),
      toDeliveryResponse,
    );
  }

  @Post(':endpointId/events/:eventId/replay')
  @HttpCode(202)
  @WebhookDoc('replay')
  async replay(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('endpointId', 'webhook endpoint') endpointId: string,
    @UuidParam('eventId', 'webhook event') eventId: string,
  ) {
    return this.webhooks.replay(site.healthSystemId, endpointId, eventId, site);
  }
}
