import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { PageRequest } from '#domain';
import { RegistrationRequestsService } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiAnswer, ApiPageQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';
import {
  ApiSiteRequestFilters,
  SiteRequestPageSchema,
  SiteRequestSchema,
  toSiteRequestResponse,
} from './request-responses.js';

/** Every request to every site, with ages and reminders (the operator follows up on the old ones). */
@ApiTags('operator: registration requests')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/registration-requests')
export class OperatorRegistrationRequestsController {
  constructor(
    private readonly requests: RegistrationRequestsService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  @Get()
  @Doc(
    'List requests to sites, all tenants',
    'Open and answered requests to the administrators of sites registered by hand, with `ageSeconds`, ' +
      '`remindersSent`, `lastRemindedAt` and `nextReminderAt` (an open request’s `registration.requested` webhook is ' +
      're-sent every `SITE_REQUEST_REMINDER_SECONDS`).',
  )
  @ApiPageQuery()
  @ApiSiteRequestFilters(true)
  @ApiAnswer(200, 'One page of requests.', SiteRequestPageSchema)
  async list(@Query() query: Record<string, unknown>, @PageQuery() page: PageRequest) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    const found = await this.requests.list({ operator: true }, filter, page);
    return toListResponse(found, (request) => toSiteRequestResponse(this.config, request));
  }

  @Get(':id')
  @Doc('Get a request to a site', 'The request, its document, age, reminders and answer.')
  @ApiAnswer(200, 'The request.', SiteRequestSchema)
  async get(@UuidParam('id', 'registration request') id: string) {
    return toSiteRequestResponse(this.config, await this.requests.get({ operator: true }, id));
  }
}
