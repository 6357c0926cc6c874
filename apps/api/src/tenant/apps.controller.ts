import { Body, Controller, Delete, Get, HttpCode, Post, Put, Res, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PageRequest, TenantActor } from '#domain';
import { AppsService, appInputSchema } from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { APP_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toAppResponse } from '../http/responses.js';
import { AppDeletionSchema, AppPageSchema, AppSchema, SigningKeyRotationSchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('tenant: apps')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1/apps')
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post()
  @RequireScopes('apps:write')
  @Doc(
    'Create an app',
    'The RFC 7591 client metadata to register at every site (scope `apps:write`). `keyManagement: managed` has the ' +
      'broker generate, publish and rotate the private_key_jwt keys. Onboard it next (POST /v1/apps/{appId}/onboardings).',
  )
  @ApiZodBody(appInputSchema, 'AppInput', APP_EXAMPLES)
  @ApiAnswer(201, 'The app.', AppSchema)
  async create(@CurrentTenant() actor: TenantActor, @Body() body: unknown) {
    return toAppResponse(await this.apps.create(actor, body));
  }

  @Get()
  @RequireScopes('apps:read')
  @Doc('List apps', 'The caller’s apps, newest first (scope `apps:read`).')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of apps.', AppPageSchema)
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.apps.list(actor.tenantId, page), toAppResponse);
  }

  @Get(':appId')
  @RequireScopes('apps:read')
  @Doc('Get an app', 'The app’s client metadata and its current metadata version (scope `apps:read`).')
  @ApiAnswer(200, 'The app.', AppSchema)
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string) {
    return toAppResponse(await this.apps.get(actor.tenantId, id));
  }

  @Put(':appId')
  @RequireScopes('apps:write')
  @Doc(
    'Replace an app',
    'New metadata (a new `metadataVersion`): every registration with a client is updated at its site in the ' +
      'background (RFC 7592 PUT, or a new client where the site has no management).',
  )
  @ApiZodBody(appInputSchema, 'AppInput', APP_EXAMPLES)
  @ApiAnswer(200, 'The app, with its new metadata version.', AppSchema)
  async replace(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string, @Body() body: unknown) {
    return toAppResponse(await this.apps.replace(actor, id, body));
  }

  /** Starts a signing key rotation (managed keys only): the new key is published now and signs later. */
  @Post(':appId/rotate-keys')
  @RequireScopes('apps:write')
  @HttpCode(202)
  @Doc(
    'Rotate the app’s signing keys',
    'Managed keys only: the new key is published at the app’s jwks_uri now and signs from `activatedAt`, once sites’ ' +
      'JWKS caches have seen it.',
  )
  @ApiAnswer(202, 'The new key.', SigningKeyRotationSchema)
  @ApiProblems(409)
  async rotateKeys(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') id: string) {
    const key = await this.apps.rotateKeys(actor, id);
    return { kid: key.kid, alg: key.alg, activatedAt: key.activatedAt.toISOString() };
  }

  /**
   * 202 like DELETE of a registration: a delete that has work left at the sites is accepted,
   * not done; 204 is for deletes that are complete when answered (health systems, webhooks).
   */
  @Delete(':appId')
  @RequireScopes('apps:write')
  @HttpCode(202)
  @Doc(
    'Delete an app',
    'The app is gone at once; every client of it is deleted at its site in the background (202, like DELETE of a ' +
      'registration), and its registrations stay as `deleted` tombstones. Follow `links.registrations`.',
  )
  @ApiAnswer(202, 'Accepted: the clients are being deleted at their sites.', AppDeletionSchema)
  async delete(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('appId', 'app') id: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { enqueued } = await this.apps.delete(actor, id);
    const registrations = `/v1/registrations?appId=${id}`;
    response.location(registrations);
    return { id, deleted: true as const, registrationsDeleting: enqueued, links: { registrations } };
  }
}
