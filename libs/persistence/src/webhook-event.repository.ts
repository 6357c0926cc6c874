import { Injectable } from '@nestjs/common';
import { NotFoundError, type Page, type PageRequest } from '#domain';
import type { Prisma, WebhookEvent as WebhookEventRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

export interface WebhookEventInput {
  id: string;
  healthSystemId: string;
  type: string;
  /** The exact JSON document every delivery of the event sends. */
  body: string;
  createdAt: Date;
  /** Deliver to this endpoint only, subscribed or not (`ping`). */
  targetEndpointId?: string | null;
}

export interface WebhookEventRecord extends Required<WebhookEventInput> {
  dispatchedAt: Date | null;
}

/** One delivery job the dispatcher must enqueue: an event for one endpoint. */
export interface WebhookFanOut {
  eventId: string;
  endpointId: string;
  healthSystemId: string;
}

function toRecord(row: WebhookEventRow): WebhookEventRecord {
  return {
    id: row.id,
    healthSystemId: row.healthSystemId,
    type: row.type,
    body: row.body,
    createdAt: row.createdAt,
    targetEndpointId: row.targetEndpointId,
    dispatchedAt: row.dispatchedAt,
  };
}

type Tx = Prisma.TransactionClient;

/** Claimed rows are locked for the transaction, so a second dispatcher skips them (and never blocks). */
const TRANSACTION_OPTIONS = { maxWait: 5_000, timeout: 30_000 };

/** The webhook outbox. Rows are immutable except for `dispatchedAt`. */
@Injectable()
export class WebhookEventRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Written with the caller's transaction client: the event commits or rolls back with the change it reports. */
  async insert(tx: Tx, event: WebhookEventInput): Promise<void> {
    await this.insertMany(tx, [event]);
  }

  /** One statement for many events (an onboarding's completion has one per site). */
  async insertMany(tx: Tx, events: WebhookEventInput[]): Promise<void> {
    if (!events.length) return;
    await tx.webhookEvent.createMany({
      data: events.map((event) => ({ ...event, targetEndpointId: event.targetEndpointId ?? null })),
    });
  }

  async findById(healthSystemId: string, id: string): Promise<WebhookEventRecord> {
    const row = await this.prisma.webhookEvent.findFirst({ where: { id, healthSystemId } });
    if (!row) throw new NotFoundError('webhook event', id);
    return toRecord(row);
  }

  /** For the delivery worker, whose job carries ids only. */
  async findByIdForDelivery(id: string): Promise<WebhookEventRecord | null> {
    const row = await this.prisma.webhookEvent.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async list(healthSystemId: string, page: PageRequest): Promise<Page<WebhookEventRecord>> {
    return keysetPage(
      this.prisma,
      { table: 'WebhookEvent', time: 'createdAt' },
      [uuidEquals('healthSystemId', healthSystemId)],
      page,
      toRecord,
    );
  }

  /** One indexed probe, so an idle dispatcher polling often costs next to nothing. */
  async hasUndispatched(): Promise<boolean> {
    const row = await this.prisma.webhookEvent.findFirst({ where: { dispatchedAt: null }, select: { id: true } });
    return row !== null;
  }

  /**
   * Claims up to `limit` undispatched events (`FOR UPDATE SKIP LOCKED`: concurrent dispatchers
   * take disjoint rows), works out which enabled endpoints receive each one, hands those pairs
   * to `enqueue` and marks the events dispatched, all in one transaction. If `enqueue` or the
   * commit fails, the events stay undispatched and are claimed again (enqueueing must therefore
   * be idempotent). Returns the number of events claimed.
   */
  async dispatchPending(limit: number, enqueue: (fanOut: WebhookFanOut[]) => Promise<void>): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const events = await tx.$queryRaw<Pick<WebhookEventRow, 'id' | 'healthSystemId' | 'type' | 'targetEndpointId'>[]>`
        SELECT "id", "healthSystemId", "type", "targetEndpointId" FROM "WebhookEvent"
        WHERE "dispatchedAt" IS NULL
        ORDER BY "createdAt", "id"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`;
      if (!events.length) return 0;
      const endpoints = await tx.webhookEndpoint.findMany({
        where: {
          healthSystemId: { in: [...new Set(events.map((event) => event.healthSystemId))] },
          enabled: true,
          deletedAt: null,
        },
        select: { id: true, healthSystemId: true, eventTypes: true },
      });
      const fanOut = events.flatMap((event) =>
        endpoints
          .filter((endpoint) =>
            event.targetEndpointId
              ? endpoint.id === event.targetEndpointId
              : endpoint.healthSystemId === event.healthSystemId && endpoint.eventTypes.includes(event.type),
          )
          .map((endpoint) => ({ eventId: event.id, endpointId: endpoint.id, healthSystemId: event.healthSystemId })),
      );
      if (fanOut.length) await enqueue(fanOut);
      await tx.webhookEvent.updateMany({
        where: { id: { in: events.map((event) => event.id) } },
        data: { dispatchedAt: new Date() },
      });
      return events.length;
    }, TRANSACTION_OPTIONS);
  }
}
