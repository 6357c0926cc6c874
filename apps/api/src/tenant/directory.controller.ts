import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { HealthSystem, PageRequest } from '#domain';
import { HealthSystemsService } from '#registration';
import { TenantGuard } from '../auth/tenant.guard.js';
import { ApiAnswer, ApiPageQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toDirectoryEntry } from '../http/responses.js';
import { DirectoryEntryPageSchema, DirectoryEntrySchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * The directory as tenants see it: where their apps can be onboarded and what each site
 * supports. Any valid tenant key reads it (no scope: the directory is the same for everyone and
 * holds nothing of any tenant's); never a token, never the site's concurrency settings.
 */
@ApiTags('tenant: directory')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1/health-systems')
export class DirectoryController {
  constructor(private readonly healthSystems: HealthSystemsService) {}

  @Get()
  @Doc(
    'List the health systems',
    'Every site apps can be onboarded at, newest first: name, vendor, FHIR base URL and what discovery found ' +
      '(registration and RFC 7592 support, auth methods, scopes, UDAP, when it was last discovered). Any tenant key.',
  )
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of the directory.', DirectoryEntryPageSchema)
  async list(@PageQuery() page: PageRequest) {
    const result = await this.healthSystems.list(page);
    const support = await this.healthSystems.managementSupport(result.items.map((site) => site.id));
    return toListResponse(result, (site: HealthSystem) => toDirectoryEntry(site, support.get(site.id) ?? null));
  }

  @Get(':id')
  @Doc('Get a health system', 'One site of the directory and what its discovery found. Any tenant key.')
  @ApiAnswer(200, 'The health system.', DirectoryEntrySchema)
  async get(@UuidParam('id', 'health system') id: string) {
    const site = await this.healthSystems.get(id);
    const support = await this.healthSystems.managementSupport([id]);
    return toDirectoryEntry(site, support.get(id) ?? null);
  }
}
