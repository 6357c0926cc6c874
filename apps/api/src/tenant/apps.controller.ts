import { Body, Controller, Delete, Get, HttpCode, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantActor } from '#domain';
import { AppsService, appInputSchema } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toAppResponse } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: apps')
@ApiBearerAuth('tenant')
@UseGuards(TenantGuard)
@Controller('v1/apps')
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post()
  @RequireScopes('apps:write')
  @ApiZodBody(appInputSchema)
  async create(@CurrentTenant() actor: TenantActor, @Body() body: unknown) {
    return toAppResponse(await this.apps.create(actor, body));
  }

  @Get()
  @RequireScopes('apps:read')
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.apps.list(actor.tenantId, page), toAppResponse);
  }

  @Get(':appId')
  @RequireScopes('apps:read')
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string) {
    return toAppResponse(await this.apps.get(actor.tenantId, id));
  }

  @Put(':appId')
  @RequireScopes('apps:write')
  @ApiZodBody(appInputSchema)
  async replace(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string, @Body() body: unknown) {
    return toAppResponse(await this.apps.replace(actor, id, body));
  }

  /** Starts a signing key rotation (managed keys only): the new key is published now and signs later. */
  @Post(':appId/rotate-keys')
  @RequireScopes('apps:write')
  @HttpCode(202)
  async rotateKeys(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string) {
    const key = await this.apps.rotateKeys(actor, id);
    return { kid: key.kid, alg: key.alg, activatedAt: key.activatedAt.toISOString() };
  }

  @Delete(':appId')
  @RequireScopes('apps:write')
  @HttpCode(204)
  async delete(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string): Promise<void> {
    await this.apps.delete(actor, id);
  }
}
