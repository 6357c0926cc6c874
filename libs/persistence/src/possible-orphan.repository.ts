import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, type Page, type PageRequest, type TenantId } from '#domain';
import { Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

/**
 * Why a client may exist at a site that no registration names:
 * - `outcome_unknown`: the registration POST got a 5xx, a timeout or a reset after it was sent;
 * - `interrupted`: a worker stopped between sending the POST and storing its answer;
 * - `credential_not_stored`: the site answered 201 but the secret store stayed down longer than
 *   the job waits, and the client could not be deleted again (no RFC 7592, or the DELETE failed).
 */
export type PossibleOrphanReason = 'outcome_unknown' | 'interrupted' | 'credential_not_stored';
export const POSSIBLE_ORPHAN_RESOLUTIONS = ['deleted_at_site', 'not_found_at_site', 'kept'] as const;
export type PossibleOrphanResolution = (typeof POSSIBLE_ORPHAN_RESOLUTIONS)[number];

export interface PossibleOrphan {
  id: string;
  tenantId: TenantId;
  registrationId: string;
  healthSystemId: string;
  attemptId: string;
  reason: PossibleOrphanReason;
  /** Known when the site answered (or its answer was noted) before the failure. */
  clientId: string | null;
  clientName: string | null;
  attemptStartedAt: Date;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: PossibleOrphanResolution | null;
  resolutionNote: string | null;
}

export interface NewPossibleOrphan {
  tenantId: TenantId;
  registrationId: string;
  healthSystemId: string;
  attemptId: string;
  reason: PossibleOrphanReason;
  clientId?: string | null;
  clientName?: string | null;
  attemptStartedAt: Date;
}

type Tx = Prisma.TransactionClient;

/**
 * Possible orphans are the operator's (they span tenants, like the directory): listed, resolved
 * once the site confirms what exists there. One per attempt: recording the same attempt twice
 * (a job that ran again) keeps the first record.
 */
@Injectable()
export class PossibleOrphanRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Returns the record of the attempt, and whether this call created it. */
  async record(tx: Tx, input: NewPossibleOrphan): Promise<{ orphan: PossibleOrphan; created: boolean }> {
    const existing = await tx.possibleOrphan.findUnique({ where: { attemptId: input.attemptId } });
    if (existing) return { orphan: existing as PossibleOrphan, created: false };
    const row = await tx.possibleOrphan.create({
      data: { id: randomUUID(), ...input, clientId: input.clientId ?? null, clientName: input.clientName ?? null },
    });
    return { orphan: row as PossibleOrphan, created: true };
  }

  async list(
    page: PageRequest,
    filter: { healthSystemId?: string; registrationId?: string; resolved?: boolean } = {},
  ): Promise<Page<PossibleOrphan>> {
    return keysetPage(
      this.prisma,
      { table: 'PossibleOrphan', time: 'createdAt' },
      [
        uuidEquals('healthSystemId', filter.healthSystemId),
        uuidEquals('registrationId', filter.registrationId),
        filter.resolved !== undefined &&
          Prisma.raw(filter.resolved ? '"resolvedAt" IS NOT NULL' : '"resolvedAt" IS NULL'),
      ],
      page,
      (row: PossibleOrphan) => row,
    );
  }

  async findById(id: string): Promise<PossibleOrphan> {
    const row = await this.prisma.possibleOrphan.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('possible orphan', id);
    return row as PossibleOrphan;
  }

  /** Resolves an open record; resolving it again only updates the note and resolution. */
  async resolve(id: string, resolution: PossibleOrphanResolution, note: string | null): Promise<PossibleOrphan> {
    await this.findById(id);
    const row = await this.prisma.possibleOrphan.update({
      where: { id },
      data: { resolution, resolutionNote: note, resolvedAt: new Date() },
    });
    return row as PossibleOrphan;
  }
}
