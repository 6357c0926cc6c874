import { Injectable } from '@nestjs/common';
import { NotFoundError, type Page, type PageRequest } from '#domain';
import type { HealthSystemKey as HealthSystemKeyRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetQuery, toPage } from './pagination.js';

/** A health-system administrator key (never its secret: only the hash is stored, and not returned here). */
export interface HealthSystemKey {
  id: string;
  healthSystemId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function toKey(row: HealthSystemKeyRow): HealthSystemKey {
  return {
    id: row.id,
    healthSystemId: row.healthSystemId,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** Every method takes the health system the key belongs to, but authentication (the key id finds it). */
@Injectable()
export class HealthSystemKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: {
    id: string;
    healthSystemId: string;
    name: string;
    secretHash: string;
  }): Promise<HealthSystemKey> {
    return toKey(await this.prisma.healthSystemKey.create({ data: input }));
  }

  async list(healthSystemId: string, page: PageRequest): Promise<Page<HealthSystemKey>> {
    const query = keysetQuery(page);
    const rows = await this.prisma.healthSystemKey.findMany({ ...query, where: { ...query.where, healthSystemId } });
    return toPage(rows, page, toKey);
  }

  async revoke(healthSystemId: string, id: string): Promise<HealthSystemKey> {
    // Revoking twice is fine: the key keeps its first revocation time.
    await this.prisma.healthSystemKey.updateMany({
      where: { id, healthSystemId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await this.prisma.healthSystemKey.findFirst({ where: { id, healthSystemId } });
    if (!row) throw new NotFoundError('health system key', id);
    return toKey(row);
  }

  /** Not scoped on purpose: the key id is how the caller's health system is found. */
  async findForAuthentication(
    id: string,
  ): Promise<{ key: HealthSystemKey; secretHash: string; healthSystemDeleted: boolean } | null> {
    const row = await this.prisma.healthSystemKey.findUnique({ where: { id }, include: { healthSystem: true } });
    if (!row) return null;
    return { key: toKey(row), secretHash: row.secretHash, healthSystemDeleted: row.healthSystem.deletedAt !== null };
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.healthSystemKey.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
