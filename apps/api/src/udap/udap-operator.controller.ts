import { Body, Controller, Get, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { TrustCommunity } from '#persistence';
import {
  TrustCommunitiesService,
  createCommunitySchema,
  healthSystemUdapSchema,
  updateCommunitySchema,
} from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiAnswer, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import { HealthSystemUdapSchema, TrustCommunityListSchema, TrustCommunitySchema } from '../http/schemas.js';
import { UuidParam } from '../http/uuid-param.js';

/** Trust communities (HL7 UDAP Security IG) and the community each health system uses. */
@ApiTags('operator: UDAP trust communities')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin')
export class UdapOperatorController {
  constructor(private readonly communities: TrustCommunitiesService) {}

  @Post('udap/communities')
  @Doc('Add a UDAP trust community', 'A community (HL7 UDAP Security IG) by its URI, with its trust anchors (PEM).')
  @ApiZodBody(createCommunitySchema, 'TrustCommunityInput')
  @ApiAnswer(201, 'The community.', TrustCommunitySchema)
  @ApiProblems(409)
  async create(@Body() body: unknown) {
    return toCommunityResponse(await this.communities.create(body));
  }

  @Get('udap/communities')
  @Doc('List UDAP trust communities', 'Every community the broker knows.')
  @ApiAnswer(200, 'The communities.', TrustCommunityListSchema)
  async list() {
    return { items: (await this.communities.list()).map(toCommunityResponse) };
  }

  @Get('udap/communities/:id')
  @Doc('Get a UDAP trust community', 'Its URI, name and trust anchors.')
  @ApiAnswer(200, 'The community.', TrustCommunitySchema)
  async get(@UuidParam('id', 'trust community') id: string) {
    return toCommunityResponse(await this.communities.get(id));
  }

  @Patch('udap/communities/:id')
  @Doc('Change a UDAP trust community', 'A new name or new trust anchors.')
  @ApiZodBody(updateCommunitySchema, 'TrustCommunityUpdate')
  @ApiAnswer(200, 'The community.', TrustCommunitySchema)
  async update(@UuidParam('id', 'trust community') id: string, @Body() body: unknown) {
    return toCommunityResponse(await this.communities.update(id, body));
  }

  /** `{communityId, requiresSoftwareStatement}`: which community the site is registered with. */
  @Put('health-systems/:id/udap')
  @Doc(
    'Set a health system’s UDAP community',
    'Which community the site registers with (null: plain RFC 7591 again), and whether it requires a software statement.',
  )
  @ApiZodBody(healthSystemUdapSchema, 'HealthSystemUdapInput')
  @ApiAnswer(200, 'The site’s UDAP settings.', HealthSystemUdapSchema)
  async setHealthSystem(@UuidParam('id', 'health system') id: string, @Body() body: unknown) {
    return toHealthSystemUdapResponse(await this.communities.setHealthSystemUdap(id, body));
  }

  /** The site's community and the last validated UDAP discovery (profiles, extensions, signer). */
  @Get('health-systems/:id/udap')
  @Doc('Get a health system’s UDAP settings', 'Its community and the last validated UDAP discovery.')
  @ApiAnswer(200, 'The site’s UDAP settings.', HealthSystemUdapSchema)
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
