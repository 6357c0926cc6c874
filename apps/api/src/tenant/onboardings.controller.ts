import { Body, Controller, Get, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PageRequest, TenantActor } from '#domain';
import { OnboardingService, onboardingInputSchema } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toOnboardingResponse } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: onboardings')
@ApiBearerAuth('tenant')
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
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiZodBody(onboardingInputSchema)
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
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.onboarding.list(actor.tenantId, page), toOnboardingResponse);
  }

  /** Counts by state: one indexed GROUP BY, cheap to poll. */
  @Get('onboardings/:id')
  @RequireScopes('registrations:read')
  async progress(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'onboarding') id: string) {
    return toOnboardingResponse(await this.onboarding.progress(actor.tenantId, id));
  }
}
