import { Body, Controller, Delete, Get, HttpCode, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { HealthSystem, PageRequest } from '#domain';
import {
  HealthSystemKeysService,
  HealthSystemsService,
  createHealthSystemSchema,
  issueHealthSystemKeySchema,
  updateHealthSystemSchema,
} from '#registration';
import type { HealthSystemKey } from '#persistence';
import { OperatorGuard } from '../auth/operator.guard.js';
import { HEALTH_SYSTEM_EXAMPLES, HEALTH_SYSTEM_KEY_EXAMPLES, HEALTH_SYSTEM_UPDATE_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toHealthSystemResponse } from '../http/responses.js';
import {
  HealthSystemKeyPageSchema,
  HealthSystemKeySchema,
  HealthSystemPageSchema,
  HealthSystemSchema,
  IssuedHealthSystemKeySchema,
} from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

@ApiTags('operator: health systems')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/health-systems')
export class HealthSystemsController {
  constructor(
    private readonly healthSystems: HealthSystemsService,
    private readonly keys: HealthSystemKeysService,
  ) {}

  @Post()
  @Doc(
    'Add a health system',
    'Adds a site to the directory and discovers it at once in the background: its `discovery.status` then says ' +
      'whether it can register clients, and why not (`discovery.lastError`). The initial access token is write-only.',
  )
  @ApiZodBody(createHealthSystemSchema, 'HealthSystemInput', HEALTH_SYSTEM_EXAMPLES)
  @ApiAnswer(201, 'The health system (discovery pending).', HealthSystemSchema)
  @ApiProblems(409)
  async create(@Body() body: unknown) {
    return toHealthSystemResponse(await this.healthSystems.create(body));
  }

  @Get()
  @Doc('List health systems', 'The directory, newest first, with each site’s discovery status and last error.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of health systems.', HealthSystemPageSchema)
  async list(@PageQuery() page: PageRequest) {
    const result = await this.healthSystems.list(page);
    const support = await this.healthSystems.managementSupport(result.items.map((site) => site.id));
    return toListResponse(result, (site: HealthSystem) => toHealthSystemResponse(site, support.get(site.id) ?? null));
  }

  @Get(':id')
  @Doc('Get a health system', 'The site, what its last discovery found, and why it failed if it did.')
  @ApiAnswer(200, 'The health system.', HealthSystemSchema)
  async get(@UuidParam('id', 'health system') id: string) {
    const site = await this.healthSystems.get(id);
    const support = await this.healthSystems.managementSupport([id]);
    return toHealthSystemResponse(site, support.get(id) ?? null);
  }

  @Patch(':id')
  @Doc(
    'Change a health system',
    'Fields present are changed; `initialAccessToken: null` removes the token. A new FHIR base URL is discovered again.',
  )
  @ApiZodBody(updateHealthSystemSchema, 'HealthSystemUpdate', HEALTH_SYSTEM_UPDATE_EXAMPLES)
  @ApiAnswer(200, 'The health system.', HealthSystemSchema)
  @ApiProblems(409)
  async update(@UuidParam('id', 'health system') id: string, @Body() body: unknown) {
    return toHealthSystemResponse(await this.healthSystems.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc(
    'Remove a health system',
    'Removed from the directory now (204: nothing is left to do in the background); its initial access token is ' +
      'deleted from the secret store. Registrations there keep their history.',
  )
  @ApiAnswer(204, 'Removed.')
  async delete(@UuidParam('id', 'health system') id: string): Promise<void> {
    await this.healthSystems.delete(id);
  }

  @Post(':id/api-keys')
  @Doc(
    'Issue a health-system administrator key',
    'A key (`srbh_...`) for the site’s administrators: they see what is registered at their site and manage their ' +
      'own webhook endpoints (`/v1/site/...`). In this answer only; only its hash is kept.',
  )
  @ApiZodBody(issueHealthSystemKeySchema, 'HealthSystemKeyInput', HEALTH_SYSTEM_KEY_EXAMPLES)
  @ApiAnswer(201, 'The key, with its token (shown once).', IssuedHealthSystemKeySchema)
  async issueKey(@UuidParam('id', 'health system') id: string, @Body() body: unknown) {
    const { key, token } = await this.keys.issue(id, body);
    return { ...toHealthSystemKeyResponse(key), token: token.reveal() };
  }

  @Get(':id/api-keys')
  @Doc('List a health system’s administrator keys', 'Names, last use and revocation; never the tokens.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of keys.', HealthSystemKeyPageSchema)
  async listKeys(@UuidParam('id', 'health system') id: string, @PageQuery() page: PageRequest) {
    return toListResponse(await this.keys.list(id, page), toHealthSystemKeyResponse);
  }

  @Delete(':id/api-keys/:keyId')
  @Doc('Revoke a health-system administrator key', 'The key stops working at once.')
  @ApiAnswer(200, 'The key, revoked.', HealthSystemKeySchema)
  async revokeKey(@UuidParam('id', 'health system') id: string, @UuidParam('keyId', 'api key') keyId: string) {
    return toHealthSystemKeyResponse(await this.keys.revoke(id, keyId));
  }
}

const toHealthSystemKeyResponse = (key: HealthSystemKey) => ({
  id: key.id,
  healthSystemId: key.healthSystemId,
  name: key.name,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});
