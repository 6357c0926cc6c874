import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Actor, Page, PageRequest } from '#domain';
import type { AuditEvent as AuditEventRow, Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetQuery, toPage } from './pagination.js';
import { asJson } from './json.js';

export interface AuditEventInput {
  actor: Actor;
  tenantId?: string | null;
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

function actorId(actor: Actor): string | null {
  if (actor.type === 'tenant_key') return actor.keyId;
  if (actor.type === 'system') return actor.component;
  return null;
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    tenantId: row.tenantId,
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

  /** `tenantId` null = the operator's view of all tenants. */
  async list(
    tenantId: string | null,
    page: PageRequest,
    filter: { registrationId?: string; action?: string } = {},
  ): Promise<Page<AuditEvent>> {
    const query = keysetQuery(page, 'at');
    const rows = await this.prisma.auditEvent.findMany({
      ...query,
      where: { ...query.where, ...(tenantId ? { tenantId } : {}), ...filter },
    });
    return toPage(rows, page, toAuditEvent, (row) => row.at);
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
