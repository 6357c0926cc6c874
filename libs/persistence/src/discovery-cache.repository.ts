import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { remoteJson } from './json.js';

/**
 * Discovery results live on the health system row (`discovery`, `discoveryExpiresAt`): one
 * description per site, shared by every tenant and every worker.
 */
@Injectable()
export class DiscoveryCacheRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(fhirBaseUrl: string): Promise<unknown | undefined> {
    const row = await this.prisma.healthSystem.findFirst({
      where: { fhirBaseUrl, deletedAt: null, discoveryExpiresAt: { gt: new Date() } },
      select: { discovery: true },
    });
    return row?.discovery ?? undefined;
  }

  async set(fhirBaseUrl: string, description: unknown, ttlSeconds: number): Promise<void> {
    const now = new Date();
    await this.prisma.healthSystem.updateMany({
      where: { fhirBaseUrl, deletedAt: null },
      data: {
        // What the site published, bounded like every remote document (see `remoteJson`).
        discovery: remoteJson(description).json,
        discoveredAt: now,
        discoveryExpiresAt: new Date(now.getTime() + ttlSeconds * 1000),
        discoveryError: Prisma.DbNull,
      },
    });
  }

  /** Last known description, fresh or not (for display and change detection). */
  async lastKnown(healthSystemId: string): Promise<unknown | undefined> {
    const row = await this.prisma.healthSystem.findUnique({
      where: { id: healthSystemId },
      select: { discovery: true },
    });
    return row?.discovery ?? undefined;
  }
}
