import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { LedgerAnswer, LedgerStep, RegistrationColumns, RegistrationLedger, StartedAttempt } from '#domain';
import { assertTransition } from '#domain';
import { PrismaService } from '../prisma.service.js';
import { boundGrantedMetadata } from '../registration.repository.js';
import { actorId } from '../audit.repository.js';
import { GroupCommit, type BatchWriter, type GroupCommitOptions } from './group-commit.js';

type Step<K extends LedgerStep['kind']> = Extract<LedgerStep, { kind: K }>;

/** Small batches, short waits: a job's step waits at most a few ms for others to join it. */
const DEFAULT_OPTIONS: GroupCommitOptions = { maxEntries: 64, maxWaitMs: 2, maxInFlight: 4 };

/**
 * The registration ledger on plain `pg`, on the pool Prisma runs on, with group commit: the
 * steps of concurrently running jobs are written together, one multi-row statement per kind
 * (`unnest` of one array per column), the compare-and-set in its WHERE and `RETURNING` telling
 * each entry whether it won. Named statements: each connection parses and plans them once.
 */
@Injectable()
export class PgRegistrationLedger implements RegistrationLedger {
  private readonly commits: GroupCommit;

  constructor(prisma: PrismaService) {
    this.commits = createLedgerCommits(prisma.pool, DEFAULT_OPTIONS, prisma.preparedStatements);
  }

  write<S extends LedgerStep>(step: S): Promise<LedgerAnswer[S['kind']]> {
    // An illegal move is a bug, not a race: it throws here.
    if (step.kind === 'start_attempt') assertTransition(step.from, step.to);
    if (step.kind === 'record_outcome' && step.from !== step.to) assertTransition(step.from, step.to);
    return this.commits.submit(step.kind, keyOf(step), step);
  }
}

function keyOf(step: LedgerStep): string {
  return step.kind === 'note_client' ? `attempt:${step.attemptId}` : `registration:${step.registrationId}`;
}

/** The group commit with a writer per step kind (exported for the test against PostgreSQL). */
export function createLedgerCommits(pool: pg.Pool, options: GroupCommitOptions, named = true): GroupCommit {
  const commits = new GroupCommit(pool, options);
  // Unnamed statements behind a pooler that cannot keep prepared ones (DATABASE_PREPARED_STATEMENTS=false).
  const unnamed =
    <E, A>(writer: BatchWriter<E, A>): BatchWriter<E, A> =>
    (client, entries) =>
      writer(withoutNames(client), entries);
  const as = <E, A>(writer: BatchWriter<E, A>) => (named ? writer : unnamed(writer));
  commits.register('start_attempt', as(startAttempts));
  commits.register('note_client', as(noteClients));
  commits.register('record_outcome', as(recordOutcomes));
  commits.register('clean_verify', as(cleanVerifies));
  return commits;
}

/** The client, sending each named query config without its name. */
function withoutNames(client: pg.PoolClient): pg.PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (config: pg.QueryConfig) => target.query({ text: config.text, values: config.values });
    },
  });
}

/**
 * Moves each registration still in its `from` state to its `to` state and opens its attempt,
 * in one statement: only the rows the UPDATE moved get an attempt (the history row comes from
 * the state trigger, `stateReason` its reason).
 */
async function startAttempts(
  client: pg.PoolClient,
  steps: Step<'start_attempt'>[],
): Promise<(StartedAttempt | null)[]> {
  const attempts = steps.map(() => ({ id: randomUUID(), nonce: randomBytes(12).toString('base64url') }));
  const { rows } = await client.query<{ registrationId: string; startedAt: Date }>({
    name: 'ledger_start_attempts',
    text: `WITH e AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::boolean[],
                                  $7::uuid[], $8::text[], $9::text[])
               AS e("registrationId", "tenantId", "from", "to", "reason", "countAttempt", "attemptId", "action", "nonce")
           ), moved AS (
             UPDATE "Registration" r
                SET "state" = e."to", "stateReason" = e."reason", "updatedAt" = now(),
                    "attemptCount" = r."attemptCount" + CASE WHEN e."countAttempt" THEN 1 ELSE 0 END
               FROM e
              WHERE r."id" = e."registrationId" AND r."tenantId" = e."tenantId" AND r."state" = e."from"
             RETURNING r."id"
           )
           INSERT INTO "RegistrationAttempt" ("id", "tenantId", "registrationId", "action", "nonce", "outcome", "startedAt")
           SELECT e."attemptId", e."tenantId", e."registrationId", e."action", e."nonce", 'pending', now()
             FROM e JOIN moved ON moved."id" = e."registrationId"
           RETURNING "registrationId", "startedAt"`,
    values: [
      steps.map((s) => s.registrationId),
      steps.map((s) => s.tenantId),
      steps.map((s) => s.from),
      steps.map((s) => s.to),
      steps.map((s) => s.reason ?? null),
      steps.map((s) => s.countAttempt ?? false),
      attempts.map((a) => a.id),
      steps.map((s) => s.action),
      attempts.map((a) => a.nonce),
    ],
  });
  const startedAt = new Map(rows.map((row) => [row.registrationId, row.startedAt]));
  return steps.map((step, i) => {
    const at = startedAt.get(step.registrationId);
    if (!at) return null;
    return {
      id: attempts[i]!.id,
      registrationId: step.registrationId,
      action: step.action,
      nonce: attempts[i]!.nonce,
      outcome: 'pending',
      httpStatus: null,
      clientId: null,
      startedAt: at,
      finishedAt: null,
    };
  });
}

/** Names the client on each attempt that is still pending (a closed attempt keeps what it says). */
async function noteClients(client: pg.PoolClient, steps: Step<'note_client'>[]): Promise<boolean[]> {
  const { rows } = await client.query<{ id: string }>({
    name: 'ledger_note_clients',
    text: `UPDATE "RegistrationAttempt" a SET "clientId" = e."clientId"
             FROM unnest($1::uuid[], $2::text[]) AS e("id", "clientId")
            WHERE a."id" = e."id" AND a."outcome" = 'pending'
           RETURNING a."id"`,
    values: [steps.map((s) => s.attemptId), steps.map((s) => s.clientId)],
  });
  const won = new Set(rows.map((row) => row.id));
  return steps.map((step) => won.has(step.attemptId));
}

/**
 * Only `lastVerifiedAt`, on rows still as the verification read them: the same state and the
 * same `updatedAt` (every other writer of the row moves it; this one does not, so verifying
 * stays invisible to the reconciler's "no progress since" reads). The state alone would accept
 * a row that moved and came back while the site was being read (ABA: a rotation ran meanwhile).
 */
async function cleanVerifies(client: pg.PoolClient, steps: Step<'clean_verify'>[]): Promise<boolean[]> {
  const { rows } = await client.query<{ id: string }>({
    name: 'ledger_clean_verifies',
    text: `UPDATE "Registration" r SET "lastVerifiedAt" = e."at"
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[])
               AS e("id", "tenantId", "state", "updatedAt", "at")
            WHERE r."id" = e."id" AND r."tenantId" = e."tenantId" AND r."state" = e."state"
              AND r."updatedAt" = e."updatedAt"
           RETURNING r."id"`,
    values: [
      steps.map((s) => s.registrationId),
      steps.map((s) => s.tenantId),
      steps.map((s) => s.state),
      steps.map((s) => s.updatedAt),
      steps.map((s) => s.at),
    ],
  });
  const won = new Set(rows.map((row) => row.id));
  return steps.map((step) => won.has(step.registrationId));
}

/** Each registration column a step may write, with its SQL type. */
const COLUMN_TYPES: Record<Exclude<keyof RegistrationColumns, 'attemptCount'>, string> = {
  requestedMetadata: 'jsonb',
  metadataVersion: 'integer',
  clientId: 'text',
  clientIdIssuedAt: 'timestamptz',
  clientSecretExpiresAt: 'timestamptz',
  clientSecretIssuedAt: 'timestamptz',
  grantedMetadata: 'jsonb',
  metadataDifferences: 'jsonb',
  credentialSecret: 'text',
  credentialVersion: 'text',
  managementSupported: 'boolean',
  lastError: 'jsonb',
  nextAttemptAt: 'timestamptz',
  drift: 'jsonb',
  managementBaseline: 'jsonb',
  lastVerifiedAt: 'timestamptz',
  udapCertificateId: 'uuid',
  udapIss: 'text',
};

/**
 * Each entry's columns travel as one JSON object: a column the entry names takes its value, the
 * others keep theirs. So one statement serves entries that write different columns.
 */
const COLUMN_ASSIGNMENTS = Object.entries(COLUMN_TYPES)
  .map(([column, type]) => {
    const value =
      type === 'jsonb' ? `NULLIF(e."columns"->'${column}', 'null'::jsonb)` : `(e."columns"->>'${column}')::${type}`;
    return `"${column}" = CASE WHEN e."columns" ? '${column}' THEN ${value} ELSE r."${column}" END`;
  })
  .join(',\n                    ');

/**
 * Closes each step in one statement: the compare-and-set on the row with its columns, the
 * attempt's outcome, and the audit and outbox rows (flattened across entries).
 */
async function recordOutcomes(client: pg.PoolClient, steps: Step<'record_outcome'>[]): Promise<boolean[]> {
  const bounded = steps.map((step) =>
    boundGrantedMetadata({ from: step.from, to: step.to, reason: step.reason, set: step.columns }),
  );
  const attempts = steps.flatMap((step) => (step.attempt ? [step.attempt] : []));
  const audit = steps.flatMap((step) => step.audit);
  // A webhook event announces the move: a step whose compare-and-set lost announces nothing. (Its
  // attempt's outcome and audit event still say what the job did at the site.)
  const outbox = steps.flatMap((step) =>
    step.outbox.map((event) => ({ ...event, registrationId: step.registrationId })),
  );
  const { rows } = await client.query<{ id: string }>({
    name: 'ledger_record_outcomes',
    text: `WITH e AS (
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
               AS e("registrationId", "tenantId", "from", "to", "reason", "columns")
           ), moved AS (
             UPDATE "Registration" r
                SET "state" = e."to", "updatedAt" = now(),
                    "stateReason" = CASE WHEN e."from" = e."to" THEN r."stateReason" ELSE e."reason" END,
                    "attemptCount" = r."attemptCount" + CASE WHEN e."columns" ? 'attemptCount' THEN 1 ELSE 0 END,
                    ${COLUMN_ASSIGNMENTS}
               FROM e
              WHERE r."id" = e."registrationId" AND r."tenantId" = e."tenantId" AND r."state" = e."from"
             RETURNING r."id"
           ), attempts AS (
             UPDATE "RegistrationAttempt" a
                SET "outcome" = x."outcome", "httpStatus" = x."httpStatus", "finishedAt" = now(),
                    "clientId" = COALESCE(x."clientId", a."clientId"), "error" = COALESCE(x."error", a."error")
               FROM unnest($7::uuid[], $8::text[], $9::integer[], $10::text[], $11::jsonb[])
                 AS x("id", "outcome", "httpStatus", "clientId", "error")
              WHERE a."id" = x."id"
             RETURNING a."id"
           ), audit AS (
             INSERT INTO "AuditEvent" ("id", "at", "tenantId", "actorType", "actorId", "action", "outcome", "appId",
                                       "healthSystemId", "registrationId", "details")
             SELECT u."id", now(), u."tenantId", u."actorType", u."actorId", u."action", u."outcome", u."appId",
                    u."healthSystemId", u."registrationId", u."details"
               FROM unnest($12::uuid[], $13::uuid[], $14::text[], $15::text[], $16::text[], $17::text[], $18::uuid[],
                           $19::uuid[], $20::uuid[], $21::jsonb[])
                 AS u("id", "tenantId", "actorType", "actorId", "action", "outcome", "appId", "healthSystemId",
                      "registrationId", "details")
             RETURNING "id"
           ), outbox AS (
             INSERT INTO "WebhookEvent" ("id", "healthSystemId", "type", "body", "createdAt")
             SELECT o."id", o."healthSystemId", o."type", o."body", o."createdAt"
               FROM unnest($22::uuid[], $23::uuid[], $24::text[], $25::text[], $26::timestamptz[], $27::uuid[])
                 AS o("id", "healthSystemId", "type", "body", "createdAt", "registrationId")
              WHERE o."registrationId" IN (SELECT "id" FROM moved)
             RETURNING "id"
           )
           SELECT "id" FROM moved`,
    values: [
      steps.map((s) => s.registrationId),
      steps.map((s) => s.tenantId),
      steps.map((s) => s.from),
      steps.map((s) => s.to),
      bounded.map((b) => b.reason ?? null),
      bounded.map((b) => JSON.stringify(b.set ?? {})),
      attempts.map((a) => a.id),
      attempts.map((a) => a.outcome),
      attempts.map((a) => a.httpStatus ?? null),
      attempts.map((a) => a.clientId ?? null),
      attempts.map((a) => (a.error ? JSON.stringify(a.error) : null)),
      audit.map(() => randomUUID()),
      audit.map((a) => a.tenantId),
      audit.map((a) => a.actor.type),
      audit.map((a) => actorId(a.actor)),
      audit.map((a) => a.action),
      audit.map((a) => a.outcome),
      audit.map((a) => a.appId),
      audit.map((a) => a.healthSystemId),
      audit.map((a) => a.registrationId),
      audit.map((a) => (a.details ? JSON.stringify(a.details) : null)),
      outbox.map((o) => o.id),
      outbox.map((o) => o.healthSystemId),
      outbox.map((o) => o.type),
      outbox.map((o) => o.body),
      outbox.map((o) => o.createdAt),
      outbox.map((o) => o.registrationId),
    ],
  });
  const won = new Set(rows.map((row) => row.id));
  return steps.map((step) => won.has(step.registrationId));
}
