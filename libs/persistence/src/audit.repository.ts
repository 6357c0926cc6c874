import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Actor, type Page, type PageRequest, type TenantId, trustedTenantId } from '#domain';
import { Prisma, type AuditEvent as AuditEventRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';
import { asJson } from './json.js';

export interface AuditEventInput {
  actor: Actor;
  tenantId?: TenantId | null;
  action: string;
  outcome: 'success' | 'failure' | 'attempt';
  appId?: string | null;
  healthSystemId?: string | null;
  registrationId?: string | null;
  /** Never a secret value: identifiers, statuses, error codes. */
  details?: Record<string, unknown>;
}

export interface AuditEvent extends Omit<AuditEventInput, 'actor'> {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
}

export function actorId(actor: Actor): string | null {
  if (actor.type === 'tenant_key' || actor.type === 'health_system_key') return actor.keyId;
  if (actor.type === 'system') return actor.component;
  return null;
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    tenantId: row.tenantId === null ? null : trustedTenantId(row.tenantId),
    actorType: row.actorType,
    actorId: row.actorId,
    action: row.action,
    outcome: row.outcome as AuditEvent['outcome'],
    appId: row.appId,
    healthSystemId: row.healthSystemId,
    registrationId: row.registrationId,
    details: (row.details as Record<string, unknown> | null) ?? undefined,
  };
}

/** Append-only audit trail. There is no update or delete method on purpose. */
export interface AuditFilter {
  registrationId?: string;
  action?: string;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** `tx` puts the event in the same transaction as the change it describes. */
  async record(event: AuditEventInput, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    await tx.auditEvent.create({ data: toAuditRow(event) });
  }

  async recordMany(events: AuditEventInput[]): Promise<void> {
    if (events.length) await this.prisma.auditEvent.createMany({ data: events.map(toAuditRow) });
  }

  /** One tenant's events. There is no way to pass "no tenant" here: see `listAllTenantsForOperator`. */
  listForTenant(tenantId: TenantId, page: PageRequest, filter: AuditFilter = {}): Promise<Page<AuditEvent>> {
    if (!tenantId) throw new Error('listForTenant needs a tenant id'); // only a cast around the type gets here: a bug
    return this.page(page, { ...filter, tenantId });
  }

  /** The operator's view: every tenant's events and the broker's own. Only operator routes call it. */
  listAllTenantsForOperator(page: PageRequest, filter: AuditFilter = {}): Promise<Page<AuditEvent>> {
    return this.page(page, filter);
  }

  private async page(page: PageRequest, where: AuditFilter & { tenantId?: TenantId }): Promise<Page<AuditEvent>> {
    // Indexes: (tenantId, at, id) for a tenant, (at, id) for the operator, (registrationId, at) for one registration.
    return keysetPage<AuditEventRow, AuditEvent>(
      this.prisma,
      { table: 'AuditEvent', time: 'at' },
      [
        uuidEquals('tenantId', where.tenantId),
        uuidEquals('registrationId', where.registrationId),
        where.action !== undefined && Prisma.sql`"action" = ${where.action}`,
      ],
      page,
      toAuditEvent,
    );
  }
}

export function toAuditRow(event: AuditEventInput) {
  return {
    id: randomUUID(),
    tenantId: event.tenantId ?? null,
    actorType: event.actor.type,
    actorId: actorId(event.actor),
    action: event.action,
    outcome: event.outcome,
    appId: event.appId ?? null,
    healthSystemId: event.healthSystemId ?? null,
    registrationId: event.registrationId ?? null,
    details: event.details ? asJson(event.details) : undefined,
  };
}
