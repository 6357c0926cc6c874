import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { PageRequest } from '#domain';
import { RegistrationRequestsService } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';
import { ApiSiteRequestListResponse, ApiSiteRequestResponse, toSiteRequestResponse } from './request-responses.js';

/** Every request to every site, with ages and reminders (the operator follows up on the old ones). */
@ApiTags('operator: registration requests')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/registration-requests')
export class OperatorRegistrationRequestsController {
  constructor(
    private readonly requests: RegistrationRequestsService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Requests to sites, all tenants',
    description:
      'Open and answered requests to the administrators of sites registered by hand, with `ageSeconds`, ' +
      '`remindersSent`, `lastRemindedAt` and `nextReminderAt` (reminders re-send `registration.requested` every ' +
      '`SITE_REQUEST_REMINDER_SECONDS`). Filters: `status`, `kind`, `appId`, `healthSystemId`, `registrationId`.',
  })
  @ApiSiteRequestListResponse()
  async list(@Query() query: Record<string, unknown>, @PageQuery() page: PageRequest) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    const found = await this.requests.list({ operator: true }, filter, page);
    return toListResponse(found, (request) => toSiteRequestResponse(this.config, request));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One request to a site', description: 'The request, its document, age, reminders and answer.' })
  @ApiSiteRequestResponse()
  async get(@UuidParam('id', 'registration request') id: string) {
    return toSiteRequestResponse(this.config, await this.requests.get({ operator: true }, id));
  }
}
