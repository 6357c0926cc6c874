import { Controller, Delete, Get, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { PageRequest, Registration, TenantActor } from '#domain';
import { ACTION_STATE, REGISTRATION_STATES } from '#domain';
import type { Response } from 'express';
import { HealthSystemsService, LifecycleRequests, RegistrationsService } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiUuidQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import {
  toAttemptResponse,
  toRegistrationDetail,
  toRegistrationSummary,
  toTransitionResponse,
} from '../http/responses.js';
import {
  AttemptPageSchema,
  ClientCredentialsSchema,
  LifecycleAcceptedSchema,
  RegistrationDetailSchema,
  RegistrationSummaryPageSchema,
  TransitionPageSchema,
} from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

type LifecycleAction = 'verify' | 'rotate' | 'delete';

@ApiTags('tenant: registrations')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1/registrations')
export class RegistrationsController {
  constructor(
    private readonly registrations: RegistrationsService,
    private readonly lifecycle: LifecycleRequests,
    private readonly healthSystems: HealthSystemsService,
  ) {}

  @Get()
  @RequireScopes('registrations:read')
  @Doc(
    'List registrations',
    'The caller’s registrations, newest first, each naming its health system; filter by app, site, onboarding or ' +
      'state (scope `registrations:read`).',
  )
  @ApiUuidQuery('appId', 'Only this app’s registrations.')
  @ApiUuidQuery('healthSystemId', 'Only registrations at this health system.')
  @ApiUuidQuery('onboardingId', 'Only this onboarding’s registrations.')
  @ApiQuery({
    name: 'state',
    required: false,
    description: 'Only registrations in this state.',
    schema: { type: 'string', enum: [...REGISTRATION_STATES] },
  })
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of registrations.', RegistrationSummaryPageSchema)
  async list(
    @CurrentTenant() actor: TenantActor,
    @Query() query: Record<string, unknown>,
    @PageQuery() page: PageRequest,
  ) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    const result = await this.registrations.list(actor.tenantId, filter, page);
    const names = await this.healthSystems.namesOf(result.items.map((item) => item.healthSystemId));
    return {
      items: result.items.map((item) => toRegistrationSummary(item, names.get(item.healthSystemId) ?? '')),
      nextCursor: result.nextCursor,
    };
  }

  /** Endpoints, requested vs granted metadata, history, attempts and the last error; never a secret. */
  @Get(':id')
  @RequireScopes('registrations:read')
  @Doc(
    'Get a registration',
    'The site’s endpoints, requested vs granted metadata, drift, the history of states, the attempts and the last ' +
      'error in RFC 7591 terms; never a secret (scope `registrations:read`).',
  )
  @ApiAnswer(200, 'The registration.', RegistrationDetailSchema)
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return toRegistrationDetail(await this.registrations.detail(actor.tenantId, id));
  }

  /** The registration's state history, newest first (the detail shows the newest 50 inline). */
  @Get(':id/history')
  @RequireScopes('registrations:read')
  @Doc(
    'List a registration’s history',
    'Every change of the registration’s state, newest first, one page at a time (the detail shows the newest 50 ' +
      'inline and `historyOlderCursor` to continue here) (scope `registrations:read`).',
  )
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of state changes.', TransitionPageSchema)
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
  @Doc(
    'List a registration’s attempts',
    'Every outbound call that could create or change the client at the site (register, update, rotate, delete), ' +
      'newest first, one page at a time (scope `registrations:read`).',
  )
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of attempts.', AttemptPageSchema)
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
  @Doc(
    'Read a registration’s credentials',
    'client_id, client_secret (or the managed signing key) and the token endpoint, for the tenant’s app. Every read ' +
      'is audited, success or not (scope `credentials:read`).',
  )
  @ApiAnswer(200, 'The credentials.', ClientCredentialsSchema)
  @ApiProblems(409, 503)
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
  @Doc(
    'Verify a registration',
    'In the background: RFC 7592 read (drift), a rotated management token saved, a token request where the client ' +
      'has client_credentials. The answer says which state the registration is moving to (`movingTo`); follow ' +
      '`links.self` for the result.',
  )
  @ApiAnswer(202, 'Accepted.', LifecycleAcceptedSchema)
  @ApiProblems(409)
  async verify(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.accepted(response, 'verify', await this.lifecycle.verify(actor, id));
  }

  /** Rotates the client secret now (RFC 7592 PUT, staged, tested, promoted; or a new client). */
  @Post(':id/rotate')
  @RequireScopes('registrations:write')
  @HttpCode(202)
  @Doc(
    'Rotate a registration’s secret',
    'In the background: RFC 7592 PUT, the new secret staged, tested and promoted; where the site cannot rotate, a new ' +
      'client replaces the old one (the `registration.secret_rotated` event then carries `previousClientId`).',
  )
  @ApiAnswer(202, 'Accepted.', LifecycleAcceptedSchema)
  @ApiProblems(409)
  async rotate(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.accepted(response, 'rotate', await this.lifecycle.rotate(actor, id));
  }

  /** Offboards: the client is deleted at the site, then its secret; the row stays as a `deleted` tombstone. */
  @Delete(':id')
  @RequireScopes('registrations:write')
  @HttpCode(202)
  @Doc(
    'Delete a registration',
    'Offboards the app from this site in the background (202, like DELETE of an app): the client is deleted at the ' +
      'site, then its secret; the row stays as a `deleted` tombstone. Deleting a deleted registration answers the same.',
  )
  @ApiAnswer(202, 'Accepted.', LifecycleAcceptedSchema)
  async delete(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.accepted(response, 'delete', await this.lifecycle.delete(actor, id));
  }

  /**
   * 202 with the registration as it is now, the state the action moves it to, and its URL,
   * where the action's progress shows (the worker makes the move: the answer never claims a
   * state the registration is not in).
   */
  private async accepted(response: Response, action: LifecycleAction, registration: Registration) {
    const self = `/v1/registrations/${registration.id}`;
    response.location(self);
    const names = await this.healthSystems.namesOf([registration.healthSystemId]);
    return {
      ...toRegistrationSummary(registration, names.get(registration.healthSystemId) ?? ''),
      action,
      movingTo: registration.state === 'deleted' ? ('deleted' as const) : ACTION_STATE[action],
      links: { self },
    };
  }
}
