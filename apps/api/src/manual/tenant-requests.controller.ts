import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { PageRequest, TenantActor } from '#domain';
import { RegistrationRequestsService } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiAnswer, ApiPageQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';
import {
  ApiSiteRequestFilters,
  SiteRequestPageSchema,
  SiteRequestSchema,
  toSiteRequestResponse,
} from './request-responses.js';

/** The tenant's view of what sites without dynamic registration were asked, and since when. */
@ApiTags('tenant: registration requests')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1/registration-requests')
export class TenantRegistrationRequestsController {
  constructor(
    private readonly requests: RegistrationRequestsService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  @Get()
  @RequireScopes('registrations:read')
  @Doc(
    'List requests to sites (manual registration)',
    'What the broker asked the administrators of sites without dynamic registration, for the tenant’s apps: ' +
      '`?status=open` lists the sites it is waiting for, each with `openedAt` and `ageSeconds`; a declined request ' +
      'carries the reason the site gave.',
  )
  @ApiPageQuery()
  @ApiSiteRequestFilters(true)
  @ApiAnswer(200, 'One page of requests.', SiteRequestPageSchema)
  async list(
    @CurrentTenant() actor: TenantActor,
    @Query() query: Record<string, unknown>,
    @PageQuery() page: PageRequest,
  ) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    const found = await this.requests.list({ tenantId: actor.tenantId }, filter, page);
    return toListResponse(found, (request) => toSiteRequestResponse(this.config, request));
  }

  @Get(':id')
  @RequireScopes('registrations:read')
  @Doc(
    'Get a request to a site',
    'What the site was asked, its age, reminders and answer (client id entered, or the decline reason).',
  )
  @ApiAnswer(200, 'The request.', SiteRequestSchema)
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration request') id: string) {
    return toSiteRequestResponse(this.config, await this.requests.get({ tenantId: actor.tenantId }, id));
  }
}
