import { Injectable } from '@nestjs/common';
import type { Page, PageRequest, TenantId } from '#domain';
import { AuditRepository, type AuditEvent } from '#persistence';

/** Reading the audit trail: a tenant its own events, the operator everyone's. */
@Injectable()
export class AuditLogService {
  constructor(private readonly audit: AuditRepository) {}

  listForTenant(tenantId: TenantId, page: PageRequest): Promise<Page<AuditEvent>> {
    return this.audit.listForTenant(tenantId, page);
  }

  listForOperator(page: PageRequest): Promise<Page<AuditEvent>> {
    return this.audit.listAllTenantsForOperator(page);
  }
}
