import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantId } from '#domain';
import { TenancyService, createTenantSchema, issueApiKeySchema } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { API_KEY_EXAMPLES, TENANT_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toApiKeyResponse, toTenantResponse } from '../http/responses.js';
import { ApiKeyPageSchema, ApiKeySchema, IssuedApiKeySchema, TenantPageSchema, TenantSchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('operator: tenants')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/tenants')
export class TenantsController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post()
  @Doc(
    'Create a tenant',
    'A customer of the broker. Issue it an API key next (POST /v1/admin/tenants/{tenantId}/api-keys).',
  )
  @ApiZodBody(createTenantSchema, 'TenantInput', TENANT_EXAMPLES)
  @ApiAnswer(201, 'The tenant.', TenantSchema)
  async create(@Body() body: unknown) {
    return toTenantResponse(await this.tenancy.createTenant(body));
  }

  @Get()
  @Doc('List tenants', 'Every tenant, newest first.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of tenants.', TenantPageSchema)
  async list(@PageQuery() page: PageRequest) {
    return toListResponse(await this.tenancy.listTenants(page), toTenantResponse);
  }

  @Get(':tenantId')
  @Doc('Get a tenant', 'The tenant’s name and status.')
  @ApiAnswer(200, 'The tenant.', TenantSchema)
  async get(@UuidParam('tenantId', 'tenant') id: string) {
    return toTenantResponse(await this.tenancy.getTenant(id));
  }

  @Post(':tenantId/disable')
  @HttpCode(200)
  @Doc(
    'Disable a tenant',
    'Its keys stop working at once, and every client of its apps is deleted at every site (in the background).',
  )
  @ApiAnswer(200, 'The tenant, disabled.', TenantSchema)
  async disable(@UuidParam('tenantId', 'tenant') id: string) {
    return toTenantResponse(await this.tenancy.disableTenant(id));
  }

  // Operator routes take a TenantId from the path: the operator may act on any tenant, so the
  // id it names is trusted (tenant routes get theirs only from the API key).

  /** The token is in this response and nowhere else, ever. */
  @Post(':tenantId/api-keys')
  @Doc(
    'Issue a tenant API key',
    'The key (`srb_...`) is in this answer and nowhere else, ever: only its SHA-256 hash is kept. Scopes limit what it may do.',
  )
  @ApiZodBody(issueApiKeySchema, 'ApiKeyInput', API_KEY_EXAMPLES)
  @ApiAnswer(201, 'The key, with its token (shown once).', IssuedApiKeySchema)
  async issueKey(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @Body() body: unknown) {
    const { key, token } = await this.tenancy.issueApiKey(tenantId, body);
    return { ...toApiKeyResponse(key), token: token.reveal() };
  }

  @Get(':tenantId/api-keys')
  @Doc('List a tenant’s API keys', 'Names, scopes, last use and revocation; never the tokens.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of keys.', ApiKeyPageSchema)
  async listKeys(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @PageQuery() page: PageRequest) {
    return toListResponse(await this.tenancy.listApiKeys(tenantId, page), toApiKeyResponse);
  }

  @Delete(':tenantId/api-keys/:keyId')
  @Doc('Revoke a tenant API key', 'The key stops working at once. Revoking twice keeps the first revocation time.')
  @ApiAnswer(200, 'The key, revoked.', ApiKeySchema)
  async revokeKey(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @UuidParam('keyId', 'api key') keyId: string) {
    return toApiKeyResponse(await this.tenancy.revokeApiKey(tenantId, keyId));
  }
}
