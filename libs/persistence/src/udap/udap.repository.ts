import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, type SecretRef } from '#domain';
import {
  Prisma,
  type AppCertificate as AppCertificateRow,
  type TrustCommunity as TrustCommunityRow,
} from '../generated/client.js';
import { PrismaService } from '../prisma.service.js';
import { asJson } from '../json.js';

type Tx = Prisma.TransactionClient | PrismaService;

/** A UDAP trust community (HL7 UDAP Security IG): its URI and trust anchors (PEM, public). */
export interface TrustCommunity {
  id: string;
  uri: string;
  name: string;
  trustAnchors: string[];
  createdAt: Date;
}

export type AppCertificateState = 'awaiting_chain' | 'active' | 'superseded';

/** An app's UDAP identity in one community. The private key is a reference, never the value. */
export interface AppCertificate {
  id: string;
  tenantId: string;
  appId: string;
  communityId: string;
  state: AppCertificateState;
  alg: string;
  privateKey: SecretRef;
  csrPem: string | null;
  chainPem: string[];
  subject: string | null;
  sanUri: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  replacesId: string | null;
  createdAt: Date;
}

const toCommunity = (row: TrustCommunityRow): TrustCommunity => ({
  id: row.id,
  uri: row.uri,
  name: row.name,
  trustAnchors: row.trustAnchors,
  createdAt: row.createdAt,
});

const toCertificate = (row: AppCertificateRow): AppCertificate => ({
  id: row.id,
  tenantId: row.tenantId,
  appId: row.appId,
  communityId: row.communityId,
  state: row.state as AppCertificateState,
  alg: row.alg,
  privateKey: { name: row.privateKeySecret, versionId: row.privateKeyVersion },
  csrPem: row.csrPem,
  chainPem: row.chainPem,
  subject: row.subject,
  sanUri: row.sanUri,
  notBefore: row.notBefore,
  notAfter: row.notAfter,
  replacesId: row.replacesId,
  createdAt: row.createdAt,
});

@Injectable()
export class TrustCommunityRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: { uri: string; name: string; trustAnchors: string[] }): Promise<TrustCommunity> {
    return toCommunity(await this.prisma.trustCommunity.create({ data: { id: randomUUID(), ...input } }));
  }

  async list(): Promise<TrustCommunity[]> {
    const rows = await this.prisma.trustCommunity.findMany({
      where: { deletedAt: null },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toCommunity);
  }

  async findById(id: string, tx: Tx = this.prisma): Promise<TrustCommunity> {
    const row = await tx.trustCommunity.findFirst({ where: { id, deletedAt: null } });
    if (!row) throw new NotFoundError('trust community', id);
    return toCommunity(row);
  }

  async findByUri(uri: string): Promise<TrustCommunity | null> {
    const row = await this.prisma.trustCommunity.findFirst({ where: { uri, deletedAt: null } });
    return row ? toCommunity(row) : null;
  }

  async update(id: string, input: { name?: string; trustAnchors?: string[] }): Promise<TrustCommunity> {
    await this.findById(id);
    return toCommunity(await this.prisma.trustCommunity.update({ where: { id }, data: input }));
  }
}

@Injectable()
export class AppCertificateRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: {
    id: string;
    tenantId: string;
    appId: string;
    communityId: string;
    alg: string;
    privateKey: SecretRef;
    csrPem?: string;
    replacesId?: string;
  }): Promise<AppCertificate> {
    const row = await this.prisma.appCertificate.create({
      data: {
        id: input.id,
        tenantId: input.tenantId,
        appId: input.appId,
        communityId: input.communityId,
        state: 'awaiting_chain',
        alg: input.alg,
        privateKeySecret: input.privateKey.name,
        privateKeyVersion: input.privateKey.versionId,
        csrPem: input.csrPem ?? null,
        chainPem: [],
        replacesId: input.replacesId ?? null,
      },
    });
    return toCertificate(row);
  }

  async findById(tenantId: string, id: string, tx: Tx = this.prisma): Promise<AppCertificate> {
    const row = await tx.appCertificate.findFirst({ where: { id, tenantId } });
    if (!row) throw new NotFoundError('app certificate', id);
    return toCertificate(row);
  }

  async listForApp(tenantId: string, appId: string): Promise<AppCertificate[]> {
    const rows = await this.prisma.appCertificate.findMany({
      where: { tenantId, appId },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toCertificate);
  }

  /** The newest active certificate of an app in a community (the one new registrations use). */
  async findActive(
    tenantId: string,
    appId: string,
    communityId: string,
    tx: Tx = this.prisma,
  ): Promise<AppCertificate | null> {
    const row = await tx.appCertificate.findFirst({
      where: { tenantId, appId, communityId, state: 'active' },
      orderBy: { createdAt: 'desc' },
    });
    return row ? toCertificate(row) : null;
  }

  /** Records the issued chain; the certificate becomes active (and the one it renews, superseded). */
  async activate(
    tenantId: string,
    id: string,
    chain: { chainPem: string[]; subject: string; sanUri: string; notBefore: Date; notAfter: Date },
  ): Promise<AppCertificate> {
    return this.prisma.$transaction(async (tx) => {
      const current = await this.findById(tenantId, id, tx);
      const row = await tx.appCertificate.update({ where: { id: current.id }, data: { ...chain, state: 'active' } });
      if (current.replacesId) {
        await tx.appCertificate.updateMany({
          where: { id: current.replacesId, tenantId, state: 'active' },
          data: { state: 'superseded' },
        });
      }
      return toCertificate(row);
    });
  }

  /** A tenant's active certificates expiring before `before` with no renewal started: they need one. */
  async listExpiringWithoutRenewal(tenantId: string, before: Date): Promise<AppCertificate[]> {
    const rows = await this.prisma.appCertificate.findMany({
      where: { tenantId, state: 'active', notAfter: { lt: before } },
      orderBy: { notAfter: 'asc' },
    });
    const renewals = await this.prisma.appCertificate.findMany({
      where: { tenantId, replacesId: { in: rows.map((row) => row.id) } },
      select: { replacesId: true },
    });
    const renewed = new Set(renewals.map((row) => row.replacesId));
    return rows.filter((row) => !renewed.has(row.id)).map(toCertificate);
  }
}

/** The UDAP columns of health systems and registrations (kept apart from their main repositories). */
export interface HealthSystemUdap {
  communityId: string | null;
  requiresSoftwareStatement: boolean;
  metadata: Record<string, unknown> | null;
  discoveredAt: Date | null;
}

@Injectable()
export class UdapSiteRepository {
  constructor(private readonly prisma: PrismaService) {}

  async healthSystem(healthSystemId: string, tx: Tx = this.prisma): Promise<HealthSystemUdap> {
    const row = await tx.healthSystem.findFirst({
      where: { id: healthSystemId, deletedAt: null },
      select: { udapCommunityId: true, udapMetadata: true, udapDiscoveredAt: true, requiresSoftwareStatement: true },
    });
    if (!row) throw new NotFoundError('health system', healthSystemId);
    return {
      communityId: row.udapCommunityId,
      requiresSoftwareStatement: row.requiresSoftwareStatement,
      metadata: row.udapMetadata as Record<string, unknown> | null,
      discoveredAt: row.udapDiscoveredAt,
    };
  }

  async setHealthSystem(
    healthSystemId: string,
    input: { communityId?: string | null; requiresSoftwareStatement?: boolean },
  ): Promise<void> {
    const updated = await this.prisma.healthSystem.updateMany({
      where: { id: healthSystemId, deletedAt: null },
      data: {
        ...(input.communityId !== undefined && { udapCommunityId: input.communityId }),
        ...(input.requiresSoftwareStatement !== undefined && {
          requiresSoftwareStatement: input.requiresSoftwareStatement,
        }),
      },
    });
    if (updated.count === 0) throw new NotFoundError('health system', healthSystemId);
  }

  async recordDiscovery(healthSystemId: string, metadata: object | null): Promise<void> {
    await this.prisma.healthSystem.updateMany({
      where: { id: healthSystemId },
      data: { udapMetadata: metadata === null ? undefined : asJson(metadata), udapDiscoveredAt: new Date() },
    });
  }

  async registration(
    tenantId: string,
    registrationId: string,
  ): Promise<{ certificateId: string | null; iss: string | null }> {
    const row = await this.prisma.registration.findFirst({
      where: { id: registrationId, tenantId },
      select: { udapCertificateId: true, udapIss: true },
    });
    if (!row) throw new NotFoundError('registration', registrationId);
    return { certificateId: row.udapCertificateId, iss: row.udapIss };
  }

  /** The hl7-b2b extension values of an app (IG §5.3.1); not secret. */
  async appB2b(tenantId: string, appId: string): Promise<Record<string, unknown> | null> {
    const row = await this.prisma.app.findFirst({ where: { id: appId, tenantId }, select: { udapB2b: true } });
    if (!row) throw new NotFoundError('app', appId);
    return row.udapB2b as Record<string, unknown> | null;
  }

  async setAppB2b(tenantId: string, appId: string, b2b: object | null): Promise<void> {
    const updated = await this.prisma.app.updateMany({
      where: { id: appId, tenantId, deletedAt: null },
      data: { udapB2b: b2b === null ? Prisma.DbNull : asJson(b2b) },
    });
    if (updated.count === 0) throw new NotFoundError('app', appId);
  }

  /** Registrations of the app registered the UDAP way with `certificateId` (to re-register at renewal). */
  async registrationsUsingCertificate(
    tenantId: string,
    certificateId: string,
  ): Promise<Array<{ id: string; state: string }>> {
    return this.prisma.registration.findMany({
      where: { tenantId, udapCertificateId: certificateId },
      select: { id: true, state: true },
    });
  }
}
