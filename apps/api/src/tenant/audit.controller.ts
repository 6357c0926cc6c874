import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { PageRequest, TenantActor } from '#domain';
import { AuditLogService } from '#registration';
import { OperatorGuard } from '../auth/operator.guard.js';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiAnswer, ApiPageQuery, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { toAuditEventResponse } from '../http/responses.js';
import { AuditEventPageSchema } from '../http/schemas.js';

@ApiTags('tenant: audit')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1/audit-events')
export class TenantAuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** The caller's own tenant's events, newest first. */
  @Get()
  @RequireScopes('audit:read')
  @Doc(
    'List the tenant’s audit events',
    'Every registration and management call and every credential read of the caller’s tenant, newest first ' +
      '(scope `audit:read`).',
  )
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of audit events.', AuditEventPageSchema)
  async list(@CurrentTenant() actor: TenantActor, @PageQuery() page: PageRequest) {
    return toListResponse(await this.audit.listForTenant(actor.tenantId, page), toAuditEventResponse);
  }
}

@ApiTags('operator: audit')
@ApiSecurity('operator')
@UseGuards(OperatorGuard)
@Controller('v1/admin/audit-events')
export class OperatorAuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** Every tenant's events and the operator's own. */
  @Get()
  @Doc('List all audit events', 'Every tenant’s events, the operator’s own and the workers’, newest first.')
  @ApiPageQuery()
  @ApiAnswer(200, 'One page of audit events.', AuditEventPageSchema)
  async list(@PageQuery() page: PageRequest) {
    return toListResponse(await this.audit.listForOperator(page), toAuditEventResponse);
  }
}
