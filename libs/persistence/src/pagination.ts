import { ValidationError, type Page, type PageRequest } from '#domain';
import { Prisma } from './generated/client.js';

/**
 * Keyset pagination over (time desc, id desc), where "time" is the row's creation time
 * column (`createdAt`, `at` for audit events, history and deliveries, `startedAt` for attempts).
 * The cursor is opaque to clients: base64url of "<ISO time>|<id>" of the last item of the
 * previous page.
 */
export interface CursorPosition {
  time: Date;
  id: string;
}

type TimeField = 'createdAt' | 'at' | 'startedAt';

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.time.toISOString()}|${position.id}`).toString('base64url');
}

// What `encodeCursor` writes: an ISO time from `toISOString` and a row id (every id is a UUID).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The position a cursor names. Anything `encodeCursor` did not write is refused here with a
 * 400, before a malformed id or time reaches a query (PostgreSQL would refuse a non-UUID id
 * with 22P02, which used to surface as a 500).
 */
export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () =>
    new ValidationError('cursor is invalid', [{ path: 'cursor', message: 'is not a cursor from this API' }]);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const [iso, id] = parts;
  if (parts.length !== 2 || !iso || !id || !ISO_TIME.test(iso) || !UUID.test(id)) throw invalid();
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) throw invalid();
  return { time, id: id.toLowerCase() };
}

/** A paginated table: its name and its time column (both fixed strings from this code, never input). */
export interface KeysetSource<F extends TimeField = TimeField> {
  table:
    | 'Tenant'
    | 'ApiKey'
    | 'HealthSystemKey'
    | 'App'
    | 'HealthSystem'
    | 'Registration'
    | 'RegistrationTransition'
    | 'RegistrationAttempt'
    | 'RegistrationRequest'
    | 'Onboarding'
    | 'AuditEvent'
    | 'PossibleOrphan'
    | 'WebhookEndpoint'
    | 'WebhookEvent'
    | 'WebhookDelivery';
  time: F;
}

interface RawQueryable {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Prisma.PrismaPromise<T>;
}

/** A condition of a page's WHERE; `false`/`undefined` (a filter not given) are left out. */
export type Condition = Prisma.Sql | false | undefined | null;

/**
 * One page, newest first, as one statement: `WHERE <scope> AND (time, id) < (cursor time, cursor id)
 * ORDER BY time DESC, id DESC LIMIT n + 1`. The row comparison is an index bound: on an index
 * that starts with the scope's equality columns and ends with (time, id), PostgreSQL starts the
 * backward index scan at the cursor and reads n + 1 entries, so a page at any depth costs what the
 * first page costs, also when thousands of rows share one time (an onboarding's registrations are
 * created in one statement). Prisma's `findMany` cannot say this: its
 * `time < t OR (time = t AND id < x)` is no index bound, and the plan walked every row newer
 * than the cursor. Rows come back in the shape Prisma's own queries return (see the tests).
 */
export async function keysetPage<Row extends { id: string }, T>(
  db: RawQueryable,
  source: KeysetSource,
  conditions: Condition[],
  page: PageRequest,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const time = Prisma.raw(`"${source.time}"`);
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const where = conditions.filter((condition): condition is Prisma.Sql => !!condition);
  if (after) where.push(Prisma.sql`(${time}, "id") < (${after.time}::timestamptz, ${after.id}::uuid)`);
  const rows = await db.$queryRaw<Row[]>`
    SELECT * FROM ${Prisma.raw(`"${source.table}"`)}
     WHERE ${where.length ? Prisma.join(where, ' AND ') : Prisma.sql`TRUE`}
     ORDER BY ${time} DESC, "id" DESC
     LIMIT ${page.limit + 1}`;
  return toPage(rows, page, map, (row) => (row as unknown as Record<TimeField, Date>)[source.time]);
}

/** `"column" = value` for a uuid column: the cast keeps a statement's plan on the uuid index. */
export function uuidEquals(column: string, value: string | undefined | null): Condition {
  return value ? Prisma.sql`${Prisma.raw(`"${column}"`)} = ${value}::uuid` : undefined;
}

/** Cuts the extra row fetched by `keysetPage` and derives the next cursor from the last kept row. */
export function toPage<Row extends { id: string }, T>(
  rows: Row[],
  page: PageRequest,
  map: (row: Row) => T,
  timeOf: (row: Row) => Date = (row) => (row as unknown as { createdAt: Date }).createdAt,
): Page<T> {
  const hasMore = rows.length > page.limit;
  const items = hasMore ? rows.slice(0, page.limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextCursor: hasMore && last ? encodeCursor({ time: timeOf(last), id: last.id }) : null,
  };
}
