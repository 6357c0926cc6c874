import { ValidationError, type Page, type PageRequest } from '#domain';

/**
 * Keyset pagination over (time desc, id desc), where "time" is the row's creation time
 * column (`createdAt`, or `at` for audit events). The cursor is opaque to clients:
 * base64url of "<ISO time>|<id>" of the last item of the previous page.
 */
export interface CursorPosition {
  time: Date;
  id: string;
}

type TimeField = 'createdAt' | 'at';

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

/** Prisma `where`, ordering and `take` for the page after `page.cursor` (one extra row tells if more follow). */
export function keysetQuery<F extends TimeField = 'createdAt'>(page: PageRequest, timeField: F = 'createdAt' as F) {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  return {
    where: after
      ? { OR: [{ [timeField]: { lt: after.time } }, { [timeField]: after.time, id: { lt: after.id } }] }
      : {},
    orderBy: [{ [timeField]: 'desc' as const }, { id: 'desc' as const }] as Array<Record<F | 'id', 'desc'>>,
    take: page.limit + 1,
  };
}

/** Cuts the extra row fetched by `keysetQuery` and derives the next cursor from the last kept row. */
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
