import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { trustedTenantId, type LedgerStep } from '#domain';
import { createLedgerCommits, type GroupCommit } from '#persistence';

/**
 * The registration ledger's group commit against the real PostgreSQL: steps of concurrent jobs
 * committed together, each told whether its compare-and-set won, and one bad entry failing alone.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test';

describe('registration ledger (group commit on pg)', () => {
  let pool: pg.Pool;
  let commits: GroupCommit;
  const tenantId = trustedTenantId(randomUUID());
  const appId = randomUUID();
  const statements: string[] = [];

  const write = (step: LedgerStep) =>
    commits.submit<unknown>(
      step.kind,
      step.kind === 'note_client' ? `attempt:${step.attemptId}` : `registration:${step.registrationId}`,
      step,
    );

  /** A first registration's attempt: discovering -> registering. */
  const startStep = (registrationId: string, extra: Partial<Extract<LedgerStep, { kind: 'start_attempt' }>> = {}) =>
    ({
      kind: 'start_attempt',
      tenantId,
      registrationId,
      action: 'register',
      from: 'discovering',
      to: 'registering',
      ...extra,
    }) as const;

  async function registrations(n: number, state: string): Promise<string[]> {
    const ids = Array.from({ length: n }, () => randomUUID());
    for (const id of ids) {
      const site = randomUUID();
      await pool.query(
        `INSERT INTO "HealthSystem" ("id", "name", "fhirBaseUrl", "updatedAt") VALUES ($1, 'site', $2, now())`,
        [site, `https://${site}.example/fhir`],
      );
      await pool.query(
        `INSERT INTO "Registration" ("id", "tenantId", "appId", "healthSystemId", "state", "metadataVersion", "requestedMetadata", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, 1, '{}', now())`,
        [id, tenantId, appId, site, state],
      );
    }
    return ids;
  }

  /** When each row was last written: what a clean verification compares. */
  async function updatedAtOf(ids: string[]): Promise<Map<string, Date>> {
    const { rows } = await pool.query(`SELECT "id", "updatedAt" FROM "Registration" WHERE "id" = ANY($1::uuid[])`, [
      ids,
    ]);
    return new Map(rows.map((row) => [row.id as string, row.updatedAt as Date]));
  }

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    // Counts the statements the ledger sends (BEGIN / COMMIT included).
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text: string };
        statements.push(typeof first === 'string' ? first : first.text);
        return query(...args);
      };
    });
    // Waits long enough that every entry submitted in one tick shares a batch.
    commits = createLedgerCommits(pool, { maxEntries: 64, maxWaitMs: 20, maxInFlight: 1 });
    await pool.query(`INSERT INTO "Tenant" ("id", "name", "updatedAt") VALUES ($1, 'ledger test', now())`, [tenantId]);
    await pool.query(
      `INSERT INTO "App" ("id", "tenantId", "name", "clientMetadata", "updatedAt") VALUES ($1, $2, 'ledger app', '{}', now())`,
      [appId, tenantId],
    );
  }, 60_000);

  afterAll(async () => {
    await pool.end();
  });

  it('commits the steps of concurrent jobs in one statement, each told whether it won', async () => {
    const ids = await registrations(20, 'discovering');
    // One of them moved on meanwhile: its compare-and-set must lose.
    await pool.query(`UPDATE "Registration" SET "state" = 'retrying' WHERE "id" = $1`, [ids[7]]);
    statements.length = 0;
    const started = await Promise.all(
      ids.map((registrationId) => write(startStep(registrationId, { reason: 'ledger test', countAttempt: true }))),
    );
    expect(statements.filter((sql) => sql.includes('"RegistrationAttempt"'))).toHaveLength(1);
    expect(statements.filter((sql) => /^(BEGIN|COMMIT)$/.test(sql))).toHaveLength(0);
    expect(started[7]).toBeNull();
    expect(started.filter(Boolean)).toHaveLength(19);

    const { rows } = await pool.query<{ id: string; state: string; attemptCount: number; attempts: string }>(
      `SELECT r."id", r."state", r."attemptCount",
              (SELECT count(*) FROM "RegistrationAttempt" a WHERE a."registrationId" = r."id" AND a."outcome" = 'pending') AS "attempts"
         FROM "Registration" r WHERE r."id" = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of rows) {
      const won = row.id !== ids[7];
      expect(row).toEqual({
        id: row.id,
        state: won ? 'registering' : 'retrying',
        attemptCount: won ? 1 : 0,
        attempts: won ? '1' : '0',
      });
    }
    // The history trigger saw each move, with its reason.
    const history = await pool.query(
      `SELECT count(*)::int AS n FROM "RegistrationTransition" WHERE "registrationId" = ANY($1::uuid[]) AND "toState" = 'registering' AND "reason" = 'ledger test'`,
      [ids],
    );
    expect(history.rows[0].n).toBe(19);

    // Two jobs on the same registration never share a batch: exactly one wins.
    const [twin] = await registrations(1, 'discovering');
    const step = startStep(twin!);
    const both = await Promise.all([write(step), write(step)]);
    expect(both.filter(Boolean)).toHaveLength(1);
  });

  it('fails only the poisoned entry of a batch; the others commit', async () => {
    const ids = await registrations(6, 'registered');
    const [attempted] = await registrations(1, 'discovering');
    const started = (await write(startStep(attempted!))) as { id: string };
    const at = new Date('2026-01-02T03:04:05.678Z');
    const seen = await updatedAtOf(ids);
    const results = await Promise.allSettled([
      ...ids.map((registrationId) =>
        write({
          kind: 'clean_verify',
          tenantId,
          registrationId,
          state: 'registered',
          updatedAt: seen.get(registrationId)!,
          at,
        }),
      ),
      write({ kind: 'note_client', attemptId: started.id, clientId: 'client-1' }),
      // Poisoned: not a uuid, so the multi-row statement of its kind fails.
      write({ kind: 'note_client', attemptId: 'not-a-uuid', clientId: 'client-2' }),
    ]);
    expect(results.map((result) => result.status)).toEqual([...ids.map(() => 'fulfilled'), 'fulfilled', 'rejected']);
    expect(results.slice(0, ids.length + 1).map((result) => (result as PromiseFulfilledResult<unknown>).value)).toEqual(
      [...ids.map(() => true), true],
    );
    const verified = await pool.query(`SELECT "lastVerifiedAt" FROM "Registration" WHERE "id" = ANY($1::uuid[])`, [
      ids,
    ]);
    expect(verified.rows.map((row) => row.lastVerifiedAt.toISOString())).toEqual(ids.map(() => at.toISOString()));
    const attempt = await pool.query(`SELECT "clientId" FROM "RegistrationAttempt" WHERE "id" = $1`, [started.id]);
    expect(attempt.rows[0].clientId).toBe('client-1');

    // A clean verification of a row that moved on loses and writes nothing.
    const [moved] = await registrations(1, 'rotating');
    const movedAt = (await updatedAtOf([moved!])).get(moved!)!;
    await expect(
      write({ kind: 'clean_verify', tenantId, registrationId: moved!, state: 'registered', updatedAt: movedAt, at }),
    ).resolves.toBe(false);
  });

  it('does not take a clean verification of a row that moved and came back (ABA)', async () => {
    const [id] = await registrations(1, 'registered');
    const seen = (await updatedAtOf([id!])).get(id!)!;
    // A rotation ran while the site was read: registered -> rotating -> registered, each write moving updatedAt.
    await pool.query(
      `UPDATE "Registration" SET "state" = 'rotating', "updatedAt" = now() + interval '1 ms' WHERE "id" = $1`,
      [id],
    );
    await pool.query(
      `UPDATE "Registration" SET "state" = 'registered', "updatedAt" = now() + interval '2 ms' WHERE "id" = $1`,
      [id],
    );
    const at = new Date();
    await expect(
      write({ kind: 'clean_verify', tenantId, registrationId: id!, state: 'registered', updatedAt: seen, at }),
    ).resolves.toBe(false);
    const { rows } = await pool.query(`SELECT "lastVerifiedAt" FROM "Registration" WHERE "id" = $1`, [id]);
    expect(rows[0].lastVerifiedAt).toBeNull();
  });

  it('records outcomes with their columns, attempt, audit and outbox rows; a lost compare-and-set moves nothing', async () => {
    const [first, second] = await registrations(2, 'discovering');
    const attempts = await Promise.all(
      [first!, second!].map((registrationId) => write(startStep(registrationId)) as Promise<{ id: string }>),
    );
    await pool.query(`UPDATE "Registration" SET "lastError" = '{"error":"old"}' WHERE "id" = ANY($1::uuid[])`, [
      [first, second],
    ]);
    const outcome = (registrationId: string, attemptId: string, from: 'registering' | 'discovering') =>
      write({
        kind: 'record_outcome',
        tenantId,
        registrationId,
        from,
        to: 'registered',
        reason: 'registered',
        columns: {
          clientId: `client-${registrationId}`,
          grantedMetadata: { scope: 'a b' },
          lastError: null,
          nextAttemptAt: null,
          managementSupported: true,
        },
        attempt: { id: attemptId, outcome: 'succeeded', httpStatus: 201, clientId: `client-${registrationId}` },
        audit: [
          {
            actor: { type: 'system', component: 'worker' },
            tenantId,
            action: 'registration.created',
            outcome: 'success',
            appId,
            healthSystemId: randomUUID(),
            registrationId,
            details: { attemptId },
          },
        ],
        outbox: [
          {
            id: randomUUID(),
            healthSystemId: randomUUID(),
            type: 'registration.created',
            body: '{}',
            createdAt: new Date(),
          },
        ],
      });
    // The second one's compare-and-set loses (it names the wrong state): its row keeps its columns.
    const answers = await Promise.all([
      outcome(first!, attempts[0]!.id, 'registering'),
      outcome(second!, attempts[1]!.id, 'discovering'),
    ]);
    expect(answers).toEqual([true, false]);
    const { rows } = await pool.query(
      `SELECT "id", "state", "clientId", "grantedMetadata", "lastError", "managementSupported" FROM "Registration" WHERE "id" = ANY($1::uuid[])`,
      [[first, second]],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(first)).toMatchObject({
      state: 'registered',
      clientId: `client-${first}`,
      grantedMetadata: { scope: 'a b' },
      lastError: null,
      managementSupported: true,
    });
    expect(byId.get(second)).toMatchObject({ state: 'registering', clientId: null, lastError: { error: 'old' } });
    const audit = await pool.query(
      `SELECT count(*)::int AS n FROM "AuditEvent" WHERE "registrationId" = ANY($1::uuid[])`,
      [[first, second]],
    );
    expect(audit.rows[0].n).toBe(2);
    const closed = await pool.query(`SELECT "outcome", "httpStatus" FROM "RegistrationAttempt" WHERE "id" = $1`, [
      attempts[0]!.id,
    ]);
    expect(closed.rows[0]).toEqual({ outcome: 'succeeded', httpStatus: 201 });
  });
});
