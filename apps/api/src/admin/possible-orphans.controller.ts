import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest } from '#domain';
import type { PossibleOrphan } from '#persistence';
import { PossibleOrphans, resolvePossibleOrphanSchema } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * Clients that may exist at a site without a registration naming them (an attempt whose outcome
 * is unknown, a worker stopped after sending, a credential that could not be stored). The
 * registration itself has registered again; these are for the operator to check with the site
 * (whose webhooks were told) and close.
 */
@ApiTags('operator: possible orphans')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/possible-orphans')
export class PossibleOrphansController {
  constructor(private readonly orphans: PossibleOrphans) {}

  /** `?resolved=false` lists what is still open; `?healthSystemId=` / `?registrationId=` narrow it. */
  @Get()
  async list(@Query() query: Record<string, unknown>, @PageQuery() page: PageRequest) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    return toListResponse(await this.orphans.list(filter, page), toPossibleOrphanResponse);
  }

  @Get(':id')
  async get(@UuidParam('id', 'possible orphan') id: string) {
    return toPossibleOrphanResponse(await this.orphans.get(id));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiZodBody(resolvePossibleOrphanSchema)
  async resolve(@UuidParam('id', 'possible orphan') id: string, @Body() body: unknown) {
    return toPossibleOrphanResponse(await this.orphans.resolve(id, body));
  }
}

function toPossibleOrphanResponse(orphan: PossibleOrphan) {
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
