import { Body, Controller, Get, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { TrustCommunity } from '#persistence';
import {
  TrustCommunitiesService,
  createCommunitySchema,
  healthSystemUdapSchema,
  updateCommunitySchema,
} from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { UuidParam } from '../http/uuid-param.js';

/** Trust communities (HL7 UDAP Security IG) and the community each health system uses. */
@ApiTags('operator: UDAP trust communities')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin')
export class UdapOperatorController {
  constructor(private readonly communities: TrustCommunitiesService) {}

  @Post('udap/communities')
  @ApiZodBody(createCommunitySchema)
  async create(@Body() body: unknown) {
    return toCommunityResponse(await this.communities.create(body));
  }

  @Get('udap/communities')
  async list() {
    return { items: (await this.communities.list()).map(toCommunityResponse) };
  }

  @Get('udap/communities/:id')
  async get(@UuidParam('id', 'trust community') id: string) {
    return toCommunityResponse(await this.communities.get(id));
  }

  @Patch('udap/communities/:id')
  @ApiZodBody(updateCommunitySchema)
  async update(@UuidParam('id', 'trust community') id: string, @Body() body: unknown) {
    return toCommunityResponse(await this.communities.update(id, body));
  }

  /** `{communityId, requiresSoftwareStatement}`: which community the site is registered with. */
  @Put('health-systems/:id/udap')
  @ApiZodBody(healthSystemUdapSchema)
  async setHealthSystem(@UuidParam('id', 'health system') id: string, @Body() body: unknown) {
    return toHealthSystemUdapResponse(await this.communities.setHealthSystemUdap(id, body));
  }

  /** The site's community and the last validated UDAP discovery (profiles, extensions, signer). */
  @Get('health-systems/:id/udap')
  async getHealthSystem(@UuidParam('id', 'health system') id: string) {
    return toHealthSystemUdapResponse(await this.communities.healthSystemUdap(id));
  }
}

function toCommunityResponse(community: TrustCommunity) {
  return {
    id: community.id,
    uri: community.uri,
    name: community.name,
    trustAnchors: community.trustAnchors,
    createdAt: community.createdAt.toISOString(),
  };
}

function toHealthSystemUdapResponse(udap: Awaited<ReturnType<TrustCommunitiesService['healthSystemUdap']>>) {
  return {
    community: udap.community ? { id: udap.community.id, uri: udap.community.uri, name: udap.community.name } : null,
    requiresSoftwareStatement: udap.requiresSoftwareStatement,
    discovery: udap.metadata,
    discoveredAt: udap.discoveredAt?.toISOString() ?? null,
  };
}
