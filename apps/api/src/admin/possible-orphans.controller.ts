import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import type { PageRequest } from '#domain';
import type { PossibleOrphan } from '#persistence';
import { PossibleOrphans, resolvePossibleOrphanSchema } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { RESOLVE_ORPHAN_EXAMPLES } from '../http/examples.js';
import { ApiAnswer, ApiPageQuery, ApiUuidQuery, ApiZodBody, Doc } from '../http/openapi.js';
import { PossibleOrphanPageSchema, PossibleOrphanSchema } from '../http/schemas.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * Clients that may exist at a site without a registration naming them (an attempt whose outcome
 * is unknown, a worker stopped after sending, a credential that could not be stored). The
 * registration itself has registered again; these are for the operator to check with the site
 * (whose webhooks were told) and close.
 */
@ApiTags('operator: possible orphans')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/possible-orphans')
export class PossibleOrphansController {
  constructor(private readonly orphans: PossibleOrphans) {}

  /** `?resolved=false` lists what is still open; `?healthSystemId=` / `?registrationId=` narrow it. */
  @Get()
  @Doc(
    'List possible orphans',
    'Clients that may exist at a site without a registration naming them (an unknown outcome, a stopped worker, a ' +
      'credential not stored), newest first.',
  )
  @ApiQuery({
    name: 'resolved',
    required: false,
    description: '`false`: still open; `true`: closed.',
    schema: { type: 'string', enum: ['true', 'false'] },
  })
  @ApiUuidQuery('healthSystemId', 'Only at this health system.')
  @ApiUuidQuery('registrationId', 'Only of this registration.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of possible orphans.', PossibleOrphanPageSchema)
  async list(@Query() query: Record<string, unknown>, @PageQuery() page: PageRequest) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    return toListResponse(await this.orphans.list(filter, page), toPossibleOrphanResponse);
  }

  @Get(':id')
  @Doc('Get a possible orphan', 'Why the client may exist at the site, and how it was resolved.')
  @ApiAnswer(200, 'The possible orphan.', PossibleOrphanSchema)
  async get(@UuidParam('id', 'possible orphan') id: string) {
    return toPossibleOrphanResponse(await this.orphans.get(id));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Doc(
    'Resolve a possible orphan',
    'What the operator learned from the site: the client was deleted there, was never there, or is kept.',
  )
  @ApiZodBody(resolvePossibleOrphanSchema, 'PossibleOrphanResolution', RESOLVE_ORPHAN_EXAMPLES)
  @ApiAnswer(200, 'The possible orphan, resolved.', PossibleOrphanSchema)
  async resolve(@UuidParam('id', 'possible orphan') id: string, @Body() body: unknown) {
    return toPossibleOrphanResponse(await this.orphans.resolve(id, body));
  }
}

function toPossibleOrphanResponse(orphan: PossibleOrphan): z.output<typeof PossibleOrphanSchema> {
  return {
    id: orphan.id,
    tenantId: orphan.tenantId,
    registrationId: orphan.registrationId,
    healthSystemId: orphan.healthSystemId,
    attemptId: orphan.attemptId,
    reason: orphan.reason,
    clientId: orphan.clientId,
    clientName: orphan.clientName,
    attemptStartedAt: orphan.attemptStartedAt.toISOString(),
    createdAt: orphan.createdAt.toISOString(),
    resolvedAt: orphan.resolvedAt?.toISOString() ?? null,
    resolution: orphan.resolution,
    resolutionNote: orphan.resolutionNote,
  };
}
