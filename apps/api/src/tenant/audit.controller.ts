import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantActor } from '#domain';
import { AuditLogService } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toAuditEventResponse } from '../http/responses.js';

@ApiTags('tenant: audit')
@ApiBearerAuth('tenant')
@UseGuards(TenantGuard)
@Controller('v1/audit-events')
export class TenantAuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** The caller's own tenant's events, newest first. */
  @Get()
  @RequireScopes('audit:read')
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.audit.listForTenant(actor.tenantId, page), toAuditEventResponse);
  }
}

@ApiTags('operator: audit')
@ApiBearerAuth('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/audit-events')
export class OperatorAuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** Every tenant's events and the operator's own. */
  @Get()
  async list(@PageQuery() page: PageRequest) {
    return toListResponse(await this.audit.listForOperator(page), toAuditEventResponse);
  }
}
