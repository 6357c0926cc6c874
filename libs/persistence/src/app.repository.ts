import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  NotFoundError,
  type App,
  type ClientMetadata,
  type KeyManagement,
  type Page,
  type PageRequest,
  type SigningAlg,
} from '#domain';
import { Prisma, type App as AppRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';
import { asJson } from './json.js';
import { trustedTenantId, type TenantId } from '#domain';

export function toApp(row: AppRow): App {
  return {
    id: row.id,
    tenantId: trustedTenantId(row.tenantId),
    name: row.name,
    clientMetadata: row.clientMetadata as unknown as ClientMetadata,
    keyManagement: row.keyManagement as KeyManagement,
    signingAlg: row.signingAlg as SigningAlg | null,
    metadataVersion: row.metadataVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface AppInput {
  name: string;
  clientMetadata: ClientMetadata;
  keyManagement: KeyManagement;
  signingAlg: SigningAlg | null;
}

@Injectable()
export class AppRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(tenantId: TenantId, input: AppInput): Promise<App> {
    const row = await this.prisma.app.create({
      data: { id: randomUUID(), tenantId, ...input, clientMetadata: asJson(input.clientMetadata) },
    });
    return toApp(row);
  }

  async list(tenantId: TenantId, page: PageRequest): Promise<Page<App>> {
    return keysetPage(
      this.prisma,
      { table: 'App', time: 'createdAt' },
      [uuidEquals('tenantId', tenantId), Prisma.raw('"deletedAt" IS NULL')],
      page,
      toApp,
    );
  }

  async findById(tenantId: TenantId, id: string): Promise<App> {
    const row = await this.prisma.app.findFirst({ where: { id, tenantId, deletedAt: null } });
    if (!row) throw new NotFoundError('app', id);
    return toApp(row);
  }

  /** Replaces the metadata and bumps `metadataVersion`, so lifecycle jobs see which registrations are behind. */
  async replace(tenantId: TenantId, id: string, input: AppInput): Promise<App> {
    const { count } = await this.prisma.app.updateMany({
      where: { id, tenantId, deletedAt: null },
      data: { ...input, clientMetadata: asJson(input.clientMetadata), metadataVersion: { increment: 1 } },
    });
    if (count === 0) throw new NotFoundError('app', id);
    return this.findById(tenantId, id);
  }

  async softDelete(tenantId: TenantId, id: string): Promise<void> {
    const { count } = await this.prisma.app.updateMany({
      where: { id, tenantId, deletedAt: null },
      data: { deletedAt: new Date() },
    });
    if (count === 0) throw new NotFoundError('app', id);
  }
}
