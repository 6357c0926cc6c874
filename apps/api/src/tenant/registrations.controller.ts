import { Controller, Delete, Get, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest, Registration, TenantActor } from '#domain';
import type { Response } from 'express';
import { LifecycleRequests, RegistrationsService } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import {
  toAttemptResponse,
  toRegistrationDetail,
  toRegistrationSummary,
  toTransitionResponse,
} from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: registrations')
@ApiBearerAuth('tenant')
@UseGuards(TenantGuard)
@Controller('v1/registrations')
export class RegistrationsController {
  constructor(
    private readonly registrations: RegistrationsService,
    private readonly lifecycle: LifecycleRequests,
  ) {}

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

  /** The registration's state history, newest first (the detail shows the newest 50 inline). */
  @Get(':id/history')
  @RequireScopes('registrations:read')
  async history(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @PageQuery() page: PageRequest,
  ) {
    return toListResponse(await this.registrations.historyPage(actor.tenantId, id, page), toTransitionResponse);
  }

  /** The registration's attempts (outbound calls that can create or change a client), newest first. */
  @Get(':id/attempts')
  @RequireScopes('registrations:read')
  async attempts(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @PageQuery() page: PageRequest,
  ) {
    return toListResponse(await this.registrations.attemptsPage(actor.tenantId, id, page), toAttemptResponse);
  }

  /** The client credentials, for the tenant's app. Audited. */
  @Get(':id/credentials')
  @RequireScopes('credentials:read')
  async credentials(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    const credentials = await this.registrations.readCredentials(actor, id);
    return { ...credentials, clientSecretExpiresAt: credentials.clientSecretExpiresAt?.toISOString() ?? null };
  }

  /**
   * RFC 7592 verification in the background: drift, a rotated management token saved, and a
   * token request where the client has client_credentials. The result shows on the
   * registration (drift, lastVerifiedAt, history, attempts).
   */
  @Post(':id/verify')
  @RequireScopes('registrations:write')
  @HttpCode(202)
  async verify(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return accepted(response, await this.lifecycle.verify(actor, id));
  }

  /** Rotates the client secret now (RFC 7592 PUT, staged, tested, promoted; or a new client). */
  @Post(':id/rotate')
  @RequireScopes('registrations:write')
  @HttpCode(202)
  async rotate(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return accepted(response, await this.lifecycle.rotate(actor, id));
  }

  /** Offboards: the client is deleted at the site, then its secret; the row stays as a `deleted` tombstone. */
  @Delete(':id')
  @RequireScopes('registrations:write')
  @HttpCode(202)
  async delete(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return accepted(response, await this.lifecycle.delete(actor, id));
  }
}

/** 202 with the registration's URL, where the action's progress shows. */
function accepted(response: Response, registration: Registration) {
  response.location(`/v1/registrations/${registration.id}`);
  return toRegistrationSummary(registration);
}
