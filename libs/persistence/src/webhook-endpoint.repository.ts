import { Injectable } from '@nestjs/common';
import { NotFoundError, type Page, type PageRequest } from '#domain';
import { Prisma, type WebhookEndpoint as WebhookEndpointRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

/** Which versions of the endpoint's signing secret sign a delivery (the values live in the secret store). */
export interface WebhookSigningSecretRef {
  name: string;
  versionId: string;
  /** The version replaced by the last rotation; it keeps signing until `previousExpiresAt`. */
  previousVersionId: string | null;
  previousExpiresAt: Date | null;
}

export interface WebhookEndpointRecord {
  id: string;
  healthSystemId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  signingSecret: WebhookSigningSecretRef;
  disabledAt: Date | null;
  disabledReason: string | null;
  lastDeliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookEndpointInput {
  id: string;
  healthSystemId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  signingSecret: { name: string; versionId: string };
}

export type WebhookEndpointChanges = Partial<
  Pick<WebhookEndpointInput, 'url' | 'description' | 'eventTypes' | 'enabled'>
>;

function toRecord(row: WebhookEndpointRow): WebhookEndpointRecord {
  return {
    id: row.id,
    healthSystemId: row.healthSystemId,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    signingSecret: {
      name: row.secretName,
      versionId: row.secretVersion,
      previousVersionId: row.previousSecretVersion,
      previousExpiresAt: row.previousSecretExpiresAt,
    },
    disabledAt: row.disabledAt,
    disabledReason: row.disabledReason,
    lastDeliveredAt: row.lastDeliveredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Admin webhook endpoints, always scoped by their health system (except the worker's lookup by id). */
@Injectable()
export class WebhookEndpointRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: WebhookEndpointInput): Promise<WebhookEndpointRecord> {
    const { signingSecret, ...columns } = input;
    const row = await this.prisma.webhookEndpoint.create({
      data: { ...columns, secretName: signingSecret.name, secretVersion: signingSecret.versionId },
    });
    return toRecord(row);
  }

  async list(healthSystemId: string, page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
    return keysetPage(
      this.prisma,
      { table: 'WebhookEndpoint', time: 'createdAt' },
      [uuidEquals('healthSystemId', healthSystemId), Prisma.raw('"deletedAt" IS NULL')],
      page,
      toRecord,
    );
  }

  async findById(healthSystemId: string, id: string): Promise<WebhookEndpointRecord> {
    const row = await this.prisma.webhookEndpoint.findFirst({ where: { id, healthSystemId, deletedAt: null } });
    if (!row) throw new NotFoundError('webhook endpoint', id);
    return toRecord(row);
  }

  /** For the delivery worker, whose job names the endpoint only; null once the endpoint is deleted. */
  async findLive(id: string): Promise<WebhookEndpointRecord | null> {
    const row = await this.prisma.webhookEndpoint.findFirst({ where: { id, deletedAt: null } });
    return row ? toRecord(row) : null;
  }

  /** Enabling clears the reason of an earlier disable; disabling by hand records the operator as the reason. */
  async update(healthSystemId: string, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpointRecord> {
    const existing = await this.findById(healthSystemId, id);
    const enabledChange =
      changes.enabled === undefined || changes.enabled === existing.enabled
        ? {}
        : changes.enabled
          ? { disabledAt: null, disabledReason: null }
          : { disabledAt: new Date(), disabledReason: 'disabled by the operator' };
    const row = await this.prisma.webhookEndpoint.update({ where: { id }, data: { ...changes, ...enabledChange } });
    return toRecord(row);
  }

  async rotateSigningSecret(
    healthSystemId: string,
    id: string,
    rotation: { versionId: string; previousVersionId: string; previousExpiresAt: Date },
  ): Promise<WebhookEndpointRecord> {
    await this.findById(healthSystemId, id);
    const row = await this.prisma.webhookEndpoint.update({
      where: { id },
      data: {
        secretVersion: rotation.versionId,
        previousSecretVersion: rotation.previousVersionId,
        previousSecretExpiresAt: rotation.previousExpiresAt,
      },
    });
    return toRecord(row);
  }

  /** Disables an enabled endpoint; false when it was already disabled (the first reason is kept). */
  async disable(id: string, reason: string, at: Date = new Date()): Promise<boolean> {
    const { count } = await this.prisma.webhookEndpoint.updateMany({
      where: { id, enabled: true, deletedAt: null },
      data: { enabled: false, disabledAt: at, disabledReason: reason },
    });
    return count === 1;
  }

  async markDelivered(id: string, at: Date): Promise<void> {
    await this.prisma.webhookEndpoint.updateMany({
      where: { id, OR: [{ lastDeliveredAt: null }, { lastDeliveredAt: { lt: at } }] },
      data: { lastDeliveredAt: at },
    });
  }

  /** Soft delete: the delivery log keeps pointing at the row. */
  async softDelete(healthSystemId: string, id: string): Promise<WebhookEndpointRecord> {
    const existing = await this.findById(healthSystemId, id);
    await this.prisma.webhookEndpoint.update({ where: { id }, data: { deletedAt: new Date(), enabled: false } });
    return existing;
  }
}
