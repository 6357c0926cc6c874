import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantActor } from '#domain';
import { RegistrationsService } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toRegistrationDetail, toRegistrationSummary } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: registrations')
@ApiBearerAuth('tenant')
@UseGuards(TenantGuard)
@Controller('v1/registrations')
export class RegistrationsController {
  constructor(private readonly registrations: RegistrationsService) {}

  @Get()
  @RequireScopes('registrations:read')
  async list(
    @CurrentTenant() actor: TenantActor,
    @Query() query: Record<string, unknown>,
    @PageQuery() page: PageRequest,
  ) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    return toListResponse(await this.registrations.list(actor.tenantId, filter, page), toRegistrationSummary);
  }

  /** Endpoints, requested vs granted metadata, history, attempts and the last error; never a secret. */
  @Get(':id')
  @RequireScopes('registrations:read')
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return toRegistrationDetail(await this.registrations.detail(actor.tenantId, id));
  }

  /** The client credentials, for the tenant's app. Audited. */
  @Get(':id/credentials')
  @RequireScopes('credentials:read')
  async credentials(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    const credentials = await this.registrations.readCredentials(actor, id);
    return { ...credentials, clientSecretExpiresAt: credentials.clientSecretExpiresAt?.toISOString() ?? null };
  }
}
