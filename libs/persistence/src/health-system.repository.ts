import { Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCode,
  NotFoundError,
  type HealthSystem,
  type Page,
  type PageRequest,
  type SecretRef,
} from '#domain';
import { Prisma, type HealthSystem as HealthSystemRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetQuery, toPage } from './pagination.js';
import { secretRefOf } from './json.js';

export function toHealthSystem(row: HealthSystemRow): HealthSystem {
  return {
    id: row.id,
    name: row.name,
    fhirBaseUrl: row.fhirBaseUrl,
    vendor: row.vendor,
    siteConcurrency: row.siteConcurrency,
    initialAccessToken: secretRefOf(row.initialAccessTokenSecret, row.initialAccessTokenVersion),
    discovery: row.discovery as Record<string, unknown> | null,
    discoveredAt: row.discoveredAt,
    registrationMode: row.registrationMode as HealthSystem['registrationMode'],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface HealthSystemInput {
  id: string;
  name: string;
  fhirBaseUrl: string;
  vendor: string | null;
  siteConcurrency?: number | null;
  initialAccessToken: SecretRef | null;
  registrationMode?: HealthSystem['registrationMode'];
}

/** Splits the secret reference into its two columns; `undefined` leaves them unchanged. */
function secretColumns(initialAccessToken: SecretRef | null | undefined) {
  if (initialAccessToken === undefined) return {};
  return {
    initialAccessTokenSecret: initialAccessToken?.name ?? null,
    initialAccessTokenVersion: initialAccessToken?.versionId ?? null,
  };
}

/** The operator's directory. Health systems are shared by all tenants, so these methods take no tenantId. */
@Injectable()
export class HealthSystemRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: HealthSystemInput): Promise<HealthSystem> {
    try {
      const { initialAccessToken, ...columns } = input;
      const row = await this.prisma.healthSystem.create({ data: { ...columns, ...secretColumns(initialAccessToken) } });
      return toHealthSystem(row);
    } catch (error) {
      throw this.mapUniqueViolation(error, input.fhirBaseUrl);
    }
  }

  async list(page: PageRequest): Promise<Page<HealthSystem>> {
    const query = keysetQuery(page);
    const rows = await this.prisma.healthSystem.findMany({ ...query, where: { ...query.where, deletedAt: null } });
    return toPage(rows, page, toHealthSystem);
  }

  async findById(id: string): Promise<HealthSystem> {
    const row = await this.prisma.healthSystem.findFirst({ where: { id, deletedAt: null } });
    if (!row) throw new NotFoundError('health system', id);
    return toHealthSystem(row);
  }

  /** The given ids that exist (not deleted), in no particular order. */
  /**
   * One array parameter however many ids (an onboarding names up to thousands): Prisma's `in`
   * sends one parameter per id and cost 12-30 ms for 1,000 here, against 4-11 ms.
   */
  async findExistingIds(ids: string[]): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT "id"::text AS "id" FROM "HealthSystem" WHERE "id" = ANY(${ids}::uuid[]) AND "deletedAt" IS NULL`;
    return rows.map((row) => row.id);
  }

  async allIds(): Promise<string[]> {
    const rows = await this.prisma.healthSystem.findMany({ where: { deletedAt: null }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  async update(id: string, changes: Partial<Omit<HealthSystemInput, 'id'>>): Promise<HealthSystem> {
    await this.findById(id);
    try {
      const { initialAccessToken, ...columns } = changes;
      const row = await this.prisma.healthSystem.update({
        where: { id },
        data: { ...columns, ...secretColumns(initialAccessToken) },
      });
      return toHealthSystem(row);
    } catch (error) {
      throw this.mapUniqueViolation(error, changes.fhirBaseUrl);
    }
  }

  /** Soft delete: the fhirBaseUrl is freed (suffixed) so the site can be added again later. */
  async softDelete(id: string): Promise<void> {
    const existing = await this.findById(id);
    await this.prisma.healthSystem.update({
      where: { id },
      data: { deletedAt: new Date(), fhirBaseUrl: `${existing.fhirBaseUrl}#deleted-${id}` },
    });
  }

  private mapUniqueViolation(error: unknown, fhirBaseUrl: string | undefined): unknown {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      return new DomainError(ErrorCode.Conflict, `a health system with FHIR base URL ${fhirBaseUrl} already exists`);
    }
    return error;
  }
}
