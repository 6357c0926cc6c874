import { statementName } from './prisma.service.js';

const args = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('statementName', () => {
  it('names the same SQL alike and different SQL apart, as PostgreSQL requires of prepared statements', () => {
    const select = 'SELECT "id" FROM "Registration" WHERE "id" = $1';
    expect(statementName({ sql: select, args: args(1) })).toBe(statementName({ sql: select, args: args(1) }));
    expect(statementName({ sql: select, args: args(1) })).not.toBe(
      statementName({ sql: `${select} AND "state" = $2`, args: args(2) }),
    );
    // PostgreSQL truncates identifiers at 63 bytes: a longer name would collide after truncation.
    expect(statementName({ sql: select, args: args(1) })!.length).toBeLessThanOrEqual(63);
  });

  it('leaves statements with long parameter lists unnamed', () => {
    const list = (n: number) =>
      `SELECT 1 WHERE "id" IN (${args(n)
        .map((i) => `$${i + 1}`)
        .join(',')})`;
    expect(statementName({ sql: list(32), args: args(32) })).toBeDefined();
    expect(statementName({ sql: list(33), args: args(33) })).toBeUndefined();
  });
});
