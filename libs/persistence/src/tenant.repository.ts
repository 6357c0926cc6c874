import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, trustedTenantId, type Page, type PageRequest, type Tenant, type TenantStatus } from '#domain';
import type { Tenant as TenantRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage } from './pagination.js';

export function toTenant(row: TenantRow): Tenant {
  return {
    id: trustedTenantId(row.id),
    name: row.name,
    status: row.status as TenantStatus,
    createdAt: row.createdAt,
    disabledAt: row.disabledAt,
  };
}

@Injectable()
export class TenantRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(name: string): Promise<Tenant> {
    return toTenant(await this.prisma.tenant.create({ data: { id: randomUUID(), name } }));
  }

  async list(page: PageRequest): Promise<Page<Tenant>> {
    return keysetPage(this.prisma, { table: 'Tenant', time: 'createdAt' }, [], page, toTenant);
  }

  async findById(id: string): Promise<Tenant> {
    const row = await this.prisma.tenant.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('tenant', id);
    return toTenant(row);
  }

  async disable(id: string): Promise<Tenant> {
    await this.findById(id);
    const row = await this.prisma.tenant.update({
      where: { id },
      data: { status: 'disabled', disabledAt: new Date() },
    });
    return toTenant(row);
  }
}
