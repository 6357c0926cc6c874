import { Injectable } from '@nestjs/common';
import {
  type ApiKey,
  type ApiKeyScope,
  NotFoundError,
  type Page,
  type PageRequest,
  type TenantId,
  type TenantStatus,
  trustedTenantId,
} from '#domain';
import type { ApiKey as ApiKeyRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    tenantId: trustedTenantId(row.tenantId),
    name: row.name,
    scopes: row.scopes as ApiKeyScope[],
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** What authentication needs: the stored hash and whether key and tenant are usable. */
export interface ApiKeyCredentialRecord {
  key: ApiKey;
  secretHash: string;
  tenantStatus: TenantStatus;
}

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(
    tenantId: TenantId,
    input: { id: string; name: string; scopes: ApiKeyScope[]; secretHash: string },
  ): Promise<ApiKey> {
    return toApiKey(await this.prisma.apiKey.create({ data: { ...input, tenantId } }));
  }

  async list(tenantId: TenantId, page: PageRequest): Promise<Page<ApiKey>> {
    return keysetPage(
      this.prisma,
      { table: 'ApiKey', time: 'createdAt' },
      [uuidEquals('tenantId', tenantId)],
      page,
      toApiKey,
    );
  }

  async revoke(tenantId: TenantId, id: string): Promise<ApiKey> {
    // Revoking twice is fine: the key keeps its first revocation time.
    await this.prisma.apiKey.updateMany({
      where: { id, tenantId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await this.prisma.apiKey.findFirst({ where: { id, tenantId } });
    if (!row) throw new NotFoundError('api key', id);
    return toApiKey(row);
  }

  /** Not tenant-scoped on purpose: the key id is how the caller's tenant is found. */
  async findForAuthentication(id: string): Promise<ApiKeyCredentialRecord | null> {
    const row = await this.prisma.apiKey.findUnique({ where: { id }, include: { tenant: true } });
    if (!row) return null;
    return { key: toApiKey(row), secretHash: row.secretHash, tenantStatus: row.tenant.status as TenantStatus };
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
