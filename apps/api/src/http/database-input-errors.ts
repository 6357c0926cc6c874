/**
 * PostgreSQL errors that a request's own values cause. The validation in front of the database
 * should catch each of them first; this is the net behind it, so a value the validation missed
 * is still answered as the caller's mistake (4xx) rather than a 500.
 *
 * Prisma 7 with `@prisma/adapter-pg` reports them in three shapes: a known request error with a
 * Prisma code (P2000, P2002...), a driver adapter error whose `cause` has a `kind` and the
 * PostgreSQL `originalCode`, or the raw `pg` error with its SQLSTATE `code`. The cause chain is
 * searched for any of them.
 */
export interface DatabaseInputProblem {
  status: 400 | 409;
  code: string;
  detail: string;
}

const INVALID_VALUE: DatabaseInputProblem = {
  status: 400,
  code: 'invalid_value',
  detail: 'a value in the request cannot be stored (wrong format, invalid character or out of range)',
};
const TOO_LONG: DatabaseInputProblem = {
  status: 400,
  code: 'value_too_long',
  detail: 'a value in the request is longer than can be stored',
};
const DUPLICATE: DatabaseInputProblem = {
  status: 409,
  code: 'conflict',
  detail: 'a resource with the same unique value already exists',
};
const REFERENCE: DatabaseInputProblem = {
  status: 409,
  code: 'conflict',
  detail: 'the request refers to a resource that does not exist or is still referenced',
};

const BY_CODE: Record<string, DatabaseInputProblem> = {
  // Prisma codes
  P2000: TOO_LONG,
  P2002: DUPLICATE,
  P2003: REFERENCE,
  P2006: INVALID_VALUE,
  P2007: INVALID_VALUE,
  P2020: INVALID_VALUE,
  P2023: INVALID_VALUE,
  // Driver adapter kinds
  LengthMismatch: TOO_LONG,
  UniqueConstraintViolation: DUPLICATE,
  ForeignKeyConstraintViolation: REFERENCE,
  InvalidInputValue: INVALID_VALUE,
  ValueOutOfRange: INVALID_VALUE,
  // PostgreSQL SQLSTATE: class 22 (data exception) and the unique/foreign key violations
  '22001': TOO_LONG,
  '22003': INVALID_VALUE,
  '22007': INVALID_VALUE,
  '22008': INVALID_VALUE,
  '22021': INVALID_VALUE, // invalid byte sequence (U+0000 in text)
  '22P02': INVALID_VALUE, // invalid text representation (a non-UUID where a UUID is stored)
  '22P05': INVALID_VALUE, // untranslatable character (\u0000 in jsonb)
  '2200N': INVALID_VALUE,
  '22023': INVALID_VALUE,
  '22025': INVALID_VALUE,
  '22030': INVALID_VALUE,
  '22032': INVALID_VALUE, // invalid JSON text
  '54000': TOO_LONG, // program limit exceeded (an index row too large)
  '23505': DUPLICATE,
  '23503': REFERENCE,
};

const MAX_CAUSES = 5;

/** The problem for a database error caused by request input, or null for anything else. */
export function databaseInputProblem(error: unknown): DatabaseInputProblem | null {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { code?: unknown; kind?: unknown; originalCode?: unknown; cause?: unknown };
    for (const key of [candidate.originalCode, candidate.code, candidate.kind]) {
      if (typeof key === 'string' && Object.hasOwn(BY_CODE, key)) return BY_CODE[key]!;
    }
    current = candidate.cause;
  }
  return null;
}
