import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { SecretRef } from '#domain';
import type { AppSigningKey as AppSigningKeyRow, Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { asJson } from './json.js';

/** pending: published, not yet used; active: signs; retiring: published until no token can carry it; retired. */
export type SigningKeyStatus = 'pending' | 'active' | 'retiring' | 'retired';

export interface AppSigningKey {
  id: string;
  appId: string;
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKey: SecretRef;
  status: SigningKeyStatus;
  createdAt: Date;
}

const toKey = (row: AppSigningKeyRow): AppSigningKey => ({
  id: row.id,
  appId: row.appId,
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.publicJwk as Record<string, unknown>,
  privateKey: { name: row.privateKeySecret, versionId: row.privateKeyVersion },
  status: row.status as SigningKeyStatus,
  createdAt: row.createdAt,
});

/** Public halves of broker-managed signing keys; private halves live in the secret store. */
@Injectable()
export class AppSigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(
    input: {
      tenantId: string;
      appId: string;
      kid: string;
      alg: string;
      publicJwk: object;
      privateKey: SecretRef;
      status: SigningKeyStatus;
    },
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<AppSigningKey> {
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
        status: input.status,
        activatedAt: input.status === 'active' ? new Date() : null,
      },
    });
    return toKey(row);
  }

  /** Keys a verifier may meet (everything but retired), for the public JWKS. Not tenant-scoped: the JWKS is public. */
  async published(appId: string): Promise<AppSigningKey[]> {
    const rows = await this.prisma.appSigningKey.findMany({
      where: { appId, status: { in: ['pending', 'active', 'retiring'] } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toKey);
  }

  async active(tenantId: string, appId: string): Promise<AppSigningKey | null> {
    const row = await this.prisma.appSigningKey.findFirst({
      where: { tenantId, appId, status: 'active' },
      orderBy: { createdAt: 'desc' },
    });
    return row ? toKey(row) : null;
  }
}
