import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type SecretRef, type TenantId, trustedTenantId } from '#domain';
import type { AppSigningKey as AppSigningKeyRow, Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { asJson } from './json.js';

export interface AppSigningKey {
  id: string;
  tenantId: TenantId;
  appId: string;
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKey: SecretRef;
  createdAt: Date;
  /** Signs from this time on (until a newer key takes over). */
  activatedAt: Date;
  /** Published until this time; null while current. */
  retireAfter: Date | null;
}

const toKey = (row: AppSigningKeyRow): AppSigningKey => ({
  id: row.id,
  tenantId: trustedTenantId(row.tenantId),
  appId: row.appId,
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.publicJwk as Record<string, unknown>,
  privateKey: { name: row.privateKeySecret, versionId: row.privateKeyVersion },
  createdAt: row.createdAt,
  activatedAt: row.activatedAt,
  retireAfter: row.retireAfter,
});

/**
 * Public halves of broker-managed signing keys; private halves live in the secret store.
 * A key's phase is read from its times (see the schema): no job flips it.
 */
@Injectable()
export class AppSigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Adds a key that signs from `activatedAt`, and schedules every older key of the app to
   * leave the JWKS at `retireOthersAfter` (one transaction: there is always a signing key).
   */
  async add(input: {
    tenantId: TenantId;
    appId: string;
    kid: string;
    alg: string;
    publicJwk: object;
    privateKey: SecretRef;
    activatedAt: Date;
    retireOthersAfter: Date;
  }): Promise<AppSigningKey> {
    return this.prisma.$transaction(async (tx: Prisma.TransactionClient) => {
      await tx.appSigningKey.updateMany({
        where: { appId: input.appId, OR: [{ retireAfter: null }, { retireAfter: { gt: input.retireOthersAfter } }] },
        data: { retireAfter: input.retireOthersAfter },
      });
      const row = await tx.appSigningKey.create({
        data: {
          id: randomUUID(),
          tenantId: input.tenantId,
          appId: input.appId,
          kid: input.kid,
          alg: input.alg,
          publicJwk: asJson(input.publicJwk),
          privateKeySecret: input.privateKey.name,
          privateKeyVersion: input.privateKey.versionId,
          activatedAt: input.activatedAt,
        },
      });
      return toKey(row);
    });
  }

  /** Keys a verifier may meet now, for the public JWKS. Not tenant-scoped: the JWKS is public. */
  async published(appId: string, now = new Date()): Promise<AppSigningKey[]> {
    const rows = await this.prisma.appSigningKey.findMany({
      where: { appId, OR: [{ retireAfter: null }, { retireAfter: { gt: now } }] },
      orderBy: { activatedAt: 'asc' },
    });
    return rows.map(toKey);
  }

  /** The key that signs now: the most recently activated one. */
  async active(tenantId: TenantId, appId: string, now = new Date()): Promise<AppSigningKey | null> {
    const row = await this.prisma.appSigningKey.findFirst({
      where: { tenantId, appId, activatedAt: { lte: now } },
      orderBy: { activatedAt: 'desc' },
    });
    return row ? toKey(row) : null;
  }

  /** The newest key of the app, active or not yet. */
  async newest(tenantId: TenantId, appId: string): Promise<AppSigningKey | null> {
    const row = await this.prisma.appSigningKey.findFirst({
      where: { tenantId, appId },
      orderBy: { createdAt: 'desc' },
    });
    return row ? toKey(row) : null;
  }

  /** Apps whose newest key was created before `before`: due for rotation. All tenants. */
  async appsWithKeysOlderThan(before: Date): Promise<Array<{ tenantId: TenantId; appId: string }>> {
    return this.prisma.$queryRaw<Array<{ tenantId: TenantId; appId: string }>>`
      SELECT k."tenantId", k."appId"
        FROM "AppSigningKey" k JOIN "App" a ON a."id" = k."appId"
       WHERE a."deletedAt" IS NULL AND a."keyManagement" = 'managed'
       GROUP BY k."tenantId", k."appId"
      HAVING max(k."createdAt") < ${before}`;
  }
}
