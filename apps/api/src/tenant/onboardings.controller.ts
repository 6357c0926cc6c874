import { Body, Controller, Get, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PageRequest, TenantActor } from '#domain';
import { OnboardingService, onboardingInputSchema } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ONBOARDING_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toOnboardingResponse } from '../http/responses.js';
import { OnboardingPageSchema, OnboardingSchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: onboardings')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1')
export class OnboardingsController {
  constructor(private readonly onboarding: OnboardingService) {}

  /**
   * Accepted at once: registrations are committed and their jobs enqueued behind the answer;
   * follow progress at the Location. The same Idempotency-Key and body answer the same onboarding.
   */
  @Post('apps/:appId/onboardings')
  @HttpCode(202)
  @RequireScopes('onboardings:write')
  @Doc(
    'Onboard an app at health systems',
    'Registers the app at the listed sites (ids from GET /v1/health-systems) or at every site. Accepted at once: ' +
      'one registration per site is committed and registers in the background; follow the `Location` ' +
      '(GET /v1/onboardings/{id}: counts by state). The same Idempotency-Key and body answer the same onboarding.',
  )
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'Any printable ASCII up to 255 characters; a retry with the same key and body starts nothing twice.',
    schema: { type: 'string', minLength: 1, maxLength: 255, examples: ['onboard-growth-chart-2026-12-02'] },
  })
  @ApiZodBody(onboardingInputSchema, 'OnboardingInput', ONBOARDING_EXAMPLES)
  @ApiAnswer(202, 'Accepted: the onboarding, with counts by state.', OnboardingSchema)
  @ApiProblems(409)
  async start(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('appId', 'app') appId: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { onboarding } = await this.onboarding.start(actor, appId, idempotencyKey, body);
    response.location(`/v1/onboardings/${onboarding.id}`);
    return toOnboardingResponse(onboarding);
  }

  @Get('onboardings')
  @RequireScopes('registrations:read')
  @Doc('List onboardings', 'The caller’s onboardings, newest first (scope `registrations:read`).')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of onboardings.', OnboardingPageSchema)
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.onboarding.list(actor.tenantId, page), toOnboardingResponse);
  }

  /** Counts by state: one indexed GROUP BY, cheap to poll. */
  @Get('onboardings/:id')
  @RequireScopes('registrations:read')
  @Doc(
    'Follow an onboarding',
    'Registrations by state and whether every one is settled; cheap to poll. Its registrations: ' +
      '`links.registrations`.',
  )
  @ApiAnswer(200, 'The onboarding’s progress.', OnboardingSchema)
  async progress(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'onboarding') id: string) {
    return toOnboardingResponse(await this.onboarding.progress(actor.tenantId, id));
  }
}
