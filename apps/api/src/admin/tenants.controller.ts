import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantId } from '#domain';
import { TenancyService, createTenantSchema, issueApiKeySchema } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toApiKeyResponse, toTenantResponse } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('operator: tenants')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/tenants')
export class TenantsController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post()
  @ApiZodBody(createTenantSchema)
  async create(@Body() body: unknown) {
    return toTenantResponse(await this.tenancy.createTenant(body));
  }

  @Get()
  async list(@PageQuery() page: PageRequest) {
    return toListResponse(await this.tenancy.listTenants(page), toTenantResponse);
  }

  @Get(':tenantId')
  async get(@UuidParam('tenantId', 'tenant') id: string) {
    return toTenantResponse(await this.tenancy.getTenant(id));
  }

  @Post(':tenantId/disable')
  @HttpCode(200)
  async disable(@UuidParam('tenantId', 'tenant') id: string) {
    return toTenantResponse(await this.tenancy.disableTenant(id));
  }

  // Operator routes take a TenantId from the path: the operator may act on any tenant, so the
  // id it names is trusted (tenant routes get theirs only from the API key).

  /** The token is in this response and nowhere else, ever. */
  @Post(':tenantId/api-keys')
  @ApiZodBody(issueApiKeySchema)
  async issueKey(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @Body() body: unknown) {
    const { key, token } = await this.tenancy.issueApiKey(tenantId, body);
    return { ...toApiKeyResponse(key), token: token.reveal() };
  }

  @Get(':tenantId/api-keys')
  async listKeys(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @PageQuery() page: PageRequest) {
    return toListResponse(await this.tenancy.listApiKeys(tenantId, page), toApiKeyResponse);
  }

  @Delete(':tenantId/api-keys/:keyId')
  async revokeKey(@UuidParam('tenantId', 'tenant') tenantId: TenantId, @UuidParam('keyId', 'api key') keyId: string) {
    return toApiKeyResponse(await this.tenancy.revokeApiKey(tenantId, keyId));
  }
}
