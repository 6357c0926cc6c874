import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, trustedTenantId, type Page, type PageRequest, type TenantId } from '#domain';
import { Prisma, type RegistrationRequest as RegistrationRequestRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

export const SITE_REQUEST_KINDS = ['register', 'update', 'rotation', 'removal'] as const;
export type SiteRequestKind = (typeof SITE_REQUEST_KINDS)[number];
export const SITE_REQUEST_STATUSES = ['open', 'completed', 'declined', 'cancelled'] as const;
export type SiteRequestStatus = (typeof SITE_REQUEST_STATUSES)[number];
export type SiteRequestProof = 'token_request_succeeded' | 'not_testable';

/** A request to a site's administrators (manual registration). Never holds a secret. */
export interface SiteRequest {
  id: string;
  tenantId: TenantId;
  registrationId: string;
  healthSystemId: string;
  appId: string;
  kind: SiteRequestKind;
  status: SiteRequestStatus;
  document: Record<string, unknown>;
  changes: Array<{ field: string; from?: unknown; to?: unknown }> | null;
  metadataVersion: number;
  openedAt: Date;
  remindersSent: number;
  lastRemindedAt: Date | null;
  nextReminderAt: Date | null;
  answeredAt: Date | null;
  answeredByKeyId: string | null;
  declineReason: string | null;
  clientId: string | null;
  proof: SiteRequestProof | null;
  proofDetail: string | null;
}

export interface NewSiteRequest {
  tenantId: TenantId;
  registrationId: string;
  healthSystemId: string;
  appId: string;
  kind: SiteRequestKind;
  document: Record<string, unknown>;
  changes?: SiteRequest['changes'];
  metadataVersion: number;
  nextReminderAt: Date;
}

export interface SiteRequestFilter {
  status?: SiteRequestStatus;
  kind?: SiteRequestKind;
  appId?: string;
  healthSystemId?: string;
  registrationId?: string;
}

/** Who may see a request: a tenant (its own), a site (its own health system), the operator (all). */
export type SiteRequestScope = { tenantId: TenantId } | { healthSystemId: string } | { operator: true };

export interface SiteRequestAnswer {
  status: Exclude<SiteRequestStatus, 'open'>;
  answeredByKeyId?: string | null;
  declineReason?: string | null;
  clientId?: string | null;
  proof?: SiteRequestProof | null;
  proofDetail?: string | null;
}

type Tx = Prisma.TransactionClient;

function toSiteRequest({ createdAt, ...row }: RegistrationRequestRow): SiteRequest {
  return {
    ...row,
    openedAt: createdAt,
    tenantId: trustedTenantId(row.tenantId),
    kind: row.kind as SiteRequestKind,
    status: row.status as SiteRequestStatus,
    document: row.document as Record<string, unknown>,
    changes: row.changes as SiteRequest['changes'],
    proof: row.proof as SiteRequestProof | null,
  };
}

function scopeWhere(scope: SiteRequestScope): Prisma.RegistrationRequestWhereInput {
  if ('tenantId' in scope) return { tenantId: scope.tenantId };
  if ('healthSystemId' in scope) return { healthSystemId: scope.healthSystemId };
  return {};
}

/**
 * Requests to sites' administrators. Every read takes the caller's scope, so a site key reads only
 * its own health system's requests and a tenant only its own (anything else is "not found").
 */
@Injectable()
export class RegistrationRequestRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Opens a request unless one of the same kind is already open for the registration (the partial
   * unique index decides under concurrency): returns it and whether this call created it.
   */
  async open(tx: Tx, input: NewSiteRequest): Promise<{ request: SiteRequest; created: boolean }> {
    const existing = await this.findOpen(tx, input.registrationId, input.kind);
    if (existing) return { request: existing, created: false };
    const row = await tx.registrationRequest.create({
      data: {
        id: randomUUID(),
        ...input,
        document: input.document as Prisma.InputJsonValue,
        changes: input.changes ? (input.changes as Prisma.InputJsonValue) : Prisma.DbNull,
      },
    });
    return { request: toSiteRequest(row), created: true };
  }

  async findOpen(tx: Tx, registrationId: string, kind: SiteRequestKind): Promise<SiteRequest | null> {
    const row = await tx.registrationRequest.findFirst({ where: { registrationId, kind, status: 'open' } });
    return row ? toSiteRequest(row) : null;
  }

  /** Whether the client of this registration was registered by hand (a completed `register` request). */
  async isManualClient(registrationId: string): Promise<boolean> {
    const row = await this.prisma.registrationRequest.findFirst({
      where: { registrationId, kind: 'register', status: 'completed' },
      select: { id: true },
    });
    return row !== null;
  }

  async find(scope: SiteRequestScope, id: string, tx: Tx = this.prisma): Promise<SiteRequest> {
    const row = await tx.registrationRequest.findFirst({ where: { id, ...scopeWhere(scope) } });
    if (!row) throw new NotFoundError('registration request', id);
    return toSiteRequest(row);
  }

  async list(scope: SiteRequestScope, filter: SiteRequestFilter, page: PageRequest): Promise<Page<SiteRequest>> {
    return keysetPage(
      this.prisma,
      { table: 'RegistrationRequest', time: 'createdAt' },
      [
        'tenantId' in scope && uuidEquals('tenantId', scope.tenantId),
        'healthSystemId' in scope && uuidEquals('healthSystemId', scope.healthSystemId),
        uuidEquals('healthSystemId', filter.healthSystemId),
        uuidEquals('appId', filter.appId),
        uuidEquals('registrationId', filter.registrationId),
        filter.status && Prisma.sql`"status" = ${filter.status}`,
        filter.kind && Prisma.sql`"kind" = ${filter.kind}`,
      ],
      page,
      toSiteRequest,
    );
  }

  /** Answers an open request (compare-and-set on `open`): false when it was answered meanwhile. */
  async answer(tx: Tx, id: string, answer: SiteRequestAnswer, at = new Date()): Promise<boolean> {
    const { count } = await tx.registrationRequest.updateMany({
      where: { id, status: 'open' },
      data: { ...answer, answeredAt: at, nextReminderAt: null },
    });
    return count === 1;
  }

  /** Closes every open request of a registration (offboarding): nothing is left to remind anyone of. */
  async cancelOpen(tx: Tx, registrationId: string, kinds?: SiteRequestKind[]): Promise<SiteRequest[]> {
    const open = await tx.registrationRequest.findMany({
      where: { registrationId, status: 'open', ...(kinds && { kind: { in: kinds } }) },
    });
    if (!open.length) return [];
    await tx.registrationRequest.updateMany({
      where: { id: { in: open.map((row) => row.id) }, status: 'open' },
      data: { status: 'cancelled', answeredAt: new Date(), nextReminderAt: null },
    });
    return open.map(toSiteRequest);
  }

  /**
   * What a site's answer changes on a registration registered by hand (a new secret, a new
   * client, applied metadata), without a state change: the client keeps working throughout.
   */
  async applyToRegistration(
    tx: Tx,
    tenantId: TenantId,
    registrationId: string,
    set: Pick<
      Prisma.RegistrationUncheckedUpdateManyInput,
      | 'clientId'
      | 'credentialSecret'
      | 'credentialVersion'
      | 'clientSecretExpiresAt'
      | 'clientSecretIssuedAt'
      | 'requestedMetadata'
      | 'grantedMetadata'
      | 'metadataVersion'
    >,
  ): Promise<void> {
    await tx.registration.updateMany({ where: { id: registrationId, tenantId }, data: set });
  }

  /** Open requests whose reminder is due, fleet-wide, oldest first. */
  async dueForReminder(now: Date, limit: number): Promise<SiteRequest[]> {
    const rows = await this.prisma.registrationRequest.findMany({
      where: { status: 'open', nextReminderAt: { lte: now } },
      orderBy: { nextReminderAt: 'asc' },
      take: limit,
    });
    return rows.map(toSiteRequest);
  }

  /** Counts a reminder (compare-and-set on the count, so two sweeps never remind twice). */
  async noteReminder(tx: Tx, request: SiteRequest, nextReminderAt: Date, at = new Date()): Promise<boolean> {
    const { count } = await tx.registrationRequest.updateMany({
      where: { id: request.id, status: 'open', remindersSent: request.remindersSent },
      data: { remindersSent: { increment: 1 }, lastRemindedAt: at, nextReminderAt },
    });
    return count === 1;
  }
}
