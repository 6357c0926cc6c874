import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** Where a pass over a table stopped: the (time, id) of the last row it looked at. */
export interface RetentionPosition {
  time: Date;
  id: string;
}

export interface RetentionBatch {
  /** Rows deleted by this batch. */
  deleted: number;
  /** Where the next batch starts; null when no old row is left after this one. */
  next: RetentionPosition | null;
}

const START: RetentionPosition = { time: new Date(0), id: '00000000-0000-0000-0000-000000000000' };

/**
 * Fleet-wide deletes of old rows, one small batch per statement (its own short transaction), each
 * batch an index range from the oldest row on: the time index finds the batch, so a batch costs
 * the same whether a table holds a thousand old rows or a billion, and a batch's dead tuples are
 * few enough for autovacuum to reclaim while inserts go on (no bloat from one huge DELETE, no
 * long transaction holding vacuum back). What must stay is decided in the statement itself:
 * - the newest history row and the newest attempt of every registration (its current state and
 *   last call, whatever their age), and every attempt still `pending` (a crash the next run finds);
 * - every attempt a possible-orphan record names (the operator matches it with the site);
 * - every webhook event not yet dispatched.
 * History and attempts keep rows among the old ones, so their passes move on by keyset position
 * instead of starting from the oldest row each time.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** History rows older than `before`, but never a registration's newest. Index ("at", "id"). */
  async deleteHistory(before: Date, after: RetentionPosition | null, limit: number): Promise<RetentionBatch> {
    const from = after ?? START;
    const [result] = await this.prisma.$queryRaw<BatchRow[]>`
      WITH batch AS (
        SELECT t."id", t."at", t."registrationId" FROM "RegistrationTransition" t
         WHERE t."at" < ${before}::timestamptz AND (t."at", t."id") > (${from.time}::timestamptz, ${from.id}::uuid)
         ORDER BY t."at", t."id" LIMIT ${limit}
      ), doomed AS (
        SELECT b."id" FROM batch b
         WHERE EXISTS (SELECT 1 FROM "RegistrationTransition" n
                        WHERE n."registrationId" = b."registrationId" AND (n."at", n."id") > (b."at", b."id"))
      ), deleted AS (
        DELETE FROM "RegistrationTransition" WHERE "id" IN (SELECT "id" FROM doomed) RETURNING 1
      ), last AS (SELECT "at", "id" FROM batch ORDER BY "at" DESC, "id" DESC LIMIT 1)
      SELECT (SELECT count(*) FROM deleted)::int AS "deleted", (SELECT count(*) FROM batch)::int AS "scanned", (SELECT "at" FROM last) AS "lastAt",
             (SELECT "id"::text FROM last) AS "lastId"`;
    return toBatch(result, limit);
  }

  /**
   * Attempts older than `before`, but never a registration's newest, a pending one or one a
   * possible orphan names. Index ("startedAt", "id").
   */
  async deleteAttempts(before: Date, after: RetentionPosition | null, limit: number): Promise<RetentionBatch> {
    const from = after ?? START;
    const [result] = await this.prisma.$queryRaw<BatchRow[]>`
      WITH batch AS (
        SELECT a."id", a."startedAt", a."registrationId", a."outcome" FROM "RegistrationAttempt" a
         WHERE a."startedAt" < ${before}::timestamptz
           AND (a."startedAt", a."id") > (${from.time}::timestamptz, ${from.id}::uuid)
         ORDER BY a."startedAt", a."id" LIMIT ${limit}
      ), doomed AS (
        SELECT b."id" FROM batch b
         WHERE b."outcome" <> 'pending'
           AND NOT EXISTS (SELECT 1 FROM "PossibleOrphan" o WHERE o."attemptId" = b."id")
           AND EXISTS (SELECT 1 FROM "RegistrationAttempt" n
                        WHERE n."registrationId" = b."registrationId"
                          AND (n."startedAt", n."id") > (b."startedAt", b."id"))
      ), deleted AS (
        DELETE FROM "RegistrationAttempt" WHERE "id" IN (SELECT "id" FROM doomed) RETURNING 1
      ), last AS (SELECT "startedAt", "id" FROM batch ORDER BY "startedAt" DESC, "id" DESC LIMIT 1)
      SELECT (SELECT count(*) FROM deleted)::int AS "deleted", (SELECT count(*) FROM batch)::int AS "scanned", (SELECT "startedAt" FROM last) AS "lastAt",
             (SELECT "id"::text FROM last) AS "lastId"`;
    return toBatch(result, limit);
  }

  /** Audit events older than `before`. Index ("at", "id"): every old row goes, so each batch starts at the oldest. */
  async deleteAuditEvents(before: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "AuditEvent" WHERE "id" IN (
        SELECT "id" FROM "AuditEvent" WHERE "at" < ${before}::timestamptz ORDER BY "at", "id" LIMIT ${limit})`;
  }

  /** Delivery log entries older than `before`. Index ("at"). */
  async deleteWebhookDeliveries(before: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "WebhookDelivery" WHERE "id" IN (
        SELECT "id" FROM "WebhookDelivery" WHERE "at" < ${before}::timestamptz ORDER BY "at" LIMIT ${limit})`;
  }

  /**
   * Webhook events dispatched before `before`, with whatever deliveries they still have (a replay
   * of an old event logs a new one). Undispatched events are never deleted. Index ("dispatchedAt", "createdAt").
   */
  async deleteWebhookEvents(before: Date, limit: number): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const events = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT "id"::text AS "id" FROM "WebhookEvent" WHERE "dispatchedAt" < ${before}::timestamptz
         ORDER BY "dispatchedAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (!events.length) return 0;
      const ids = events.map((event) => event.id);
      await tx.$executeRaw`DELETE FROM "WebhookDelivery" WHERE "eventId" = ANY(${ids}::uuid[])`;
      return tx.$executeRaw`DELETE FROM "WebhookEvent" WHERE "id" = ANY(${ids}::uuid[])`;
    });
  }
}

interface BatchRow {
  deleted: number;
  scanned: number;
  lastAt: Date | null;
  lastId: string | null;
}

function toBatch(result: BatchRow | undefined, limit: number): RetentionBatch {
  // A batch that found fewer old rows than it asked for reached the end of the old range.
  const more = !!result && result.scanned >= limit && !!result.lastAt && !!result.lastId;
  return { deleted: result?.deleted ?? 0, next: more ? { time: result.lastAt!, id: result.lastId! } : null };
}
