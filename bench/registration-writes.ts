/**
 * `npm run bench:registration-writes -- [--registrations 2000] [--concurrency 32] [--batch 16]`
 *
 * What PostgreSQL costs for the bookkeeping of one registration, without Prisma and without the
 * rest of the broker: the statements a `register` job makes, sent with `pg` directly, named
 * (prepared once per connection), from a pool of 10 connections like the broker's.
 *
 * - "per registration": the broker's protocol as it is, each registration on its own (read the
 *   context; move to discovering; one transaction moving to registering and opening the attempt;
 *   the client id noted; one transaction storing the sealed credential under an advisory lock;
 *   one transaction moving to registered, closing the attempt and writing the webhook and audit
 *   events; the onboarding completion check). The history rows come from the database trigger.
 * - "batched": the same rows for `--batch` registrations at a time, one multi-row statement per
 *   step: what grouping the work of concurrent jobs into shared transactions would cost.
 *
 * Prints registrations/s and CPU per registration of PostgreSQL (all its processes) and of this
 * client, each variant measured twice in alternation so the machine's noise shows. Asserts nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { argument, cpuMsOfCommand, pool, row } from './support.js';

const registrations = argument('registrations', 2000);
const concurrency = argument('concurrency', 32);
const batchSize = argument('batch', 16);
const databaseUrl = process.env.DATABASE_URL!;

const UNSETTLED = ['queued', 'discovering', 'registering', 'retrying', 'verifying', 'updating', 'rotating', 'deleting'];
const GRANTED = JSON.stringify({
  client_name: 'Writes',
  redirect_uris: ['https://writes.example.com/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'launch openid fhirUser patient/*.rs',
  token_endpoint_auth_method: 'client_secret_basic',
});

/** A registration with the records a job reads with it (app, tenant, health system). */
const CONTEXT = `SELECT r.*, a."clientMetadata", t."name" AS "tenantName", h."fhirBaseUrl", h."discovery"
                   FROM "Registration" r JOIN "App" a ON a."id" = r."appId" JOIN "Tenant" t ON t."id" = r."tenantId"
                   JOIN "HealthSystem" h ON h."id" = r."healthSystemId"`;

/** The check a job makes after settling: is the onboarding complete now? */
async function checkCompletion(db: pg.Pool, onboardingId: string): Promise<void> {
  await db.query({
    name: 'completion',
    text: `SELECT 1 FROM "Onboarding" o WHERE o."id" = $1 AND o."completedAt" IS NULL
              AND NOT EXISTS (SELECT 1 FROM "Registration" r WHERE r."onboardingId" = o."id" AND r."state" = ANY($2))`,
    values: [onboardingId, UNSETTLED],
  });
}

interface Fixture {
  tenantId: string;
  appId: string;
  onboardingId: string;
  registrationIds: string[];
}

async function createFixture(db: pg.Pool): Promise<Fixture> {
  const tenantId = randomUUID();
  const appId = randomUUID();
  const onboardingId = randomUUID();
  const run = randomBytes(4).toString('hex');
  const healthSystemIds = Array.from({ length: registrations }, () => randomUUID());
  const registrationIds = healthSystemIds.map(() => randomUUID());
  await db.query(`INSERT INTO "Tenant" ("id", "name", "updatedAt") VALUES ($1, 'Writes', now())`, [tenantId]);
  await db.query(
    `INSERT INTO "App" ("id", "tenantId", "name", "clientMetadata", "updatedAt") VALUES ($1, $2, 'Writes', $3, now())`,
    [appId, tenantId, GRANTED],
  );
  await db.query(
    `INSERT INTO "HealthSystem" ("id", "name", "fhirBaseUrl", "updatedAt")
     SELECT id, 'Writes site', 'https://writes-' || $2 || '-' || n || '.example.org/fhir', now()
       FROM unnest($1::uuid[]) WITH ORDINALITY AS s(id, n)`,
    [healthSystemIds, run],
  );
  await db.query(
    `INSERT INTO "Onboarding" ("id", "tenantId", "appId", "idempotencyKey", "requestHash", "total")
     VALUES ($1, $2, $3, $4, $4, $5)`,
    [onboardingId, tenantId, appId, run, registrations],
  );
  await db.query(
    `INSERT INTO "Registration" ("id", "tenantId", "appId", "healthSystemId", "onboardingId", "state", "stateReason",
                                 "metadataVersion", "requestedMetadata", "updatedAt")
     SELECT r.id, $1, $2, r.hs, $3, 'queued', 'onboarding', 1, $4, now()
       FROM unnest($5::uuid[], $6::uuid[]) AS r(id, hs)`,
    [tenantId, appId, onboardingId, GRANTED, registrationIds, healthSystemIds],
  );
  return { tenantId, appId, onboardingId, registrationIds };
}

/** `BEGIN` … `COMMIT` on one connection of the pool. */
async function inTransaction(db: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

const sealed = () => ({ ciphertext: randomBytes(160), iv: randomBytes(12), authTag: randomBytes(16) });

async function onePerRegistration(db: pg.Pool, fixture: Fixture, id: string): Promise<void> {
  const { tenantId, onboardingId } = fixture;
  await db.query({
    name: 'context',
    text: `${CONTEXT} WHERE r."id" = $1 AND r."tenantId" = $2`,
    values: [id, tenantId],
  });
  const move = `UPDATE "Registration" SET "state" = $3, "stateReason" = $4, "updatedAt" = now()
                 WHERE "id" = $1 AND "tenantId" = $2 AND "state" = $5`;
  await db.query({ name: 'move', text: move, values: [id, tenantId, 'discovering', 'attempt 1', 'queued'] });
  const attemptId = randomUUID();
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'to-registering',
      text: `UPDATE "Registration" SET "state" = 'registering', "stateReason" = NULL,
                    "attemptCount" = "attemptCount" + 1, "updatedAt" = now()
              WHERE "id" = $1 AND "tenantId" = $2 AND "state" = 'discovering'`,
      values: [id, tenantId],
    });
    await client.query({
      name: 'attempt',
      text: `INSERT INTO "RegistrationAttempt" ("id", "tenantId", "registrationId", "action", "nonce")
             VALUES ($1, $2, $3, 'register', $4)`,
      values: [attemptId, tenantId, id, randomBytes(12).toString('base64url')],
    });
  });
  const clientId = randomBytes(16).toString('hex');
  await db.query({
    name: 'note-client',
    text: `UPDATE "RegistrationAttempt" SET "clientId" = $2 WHERE "id" = $1`,
    values: [attemptId, clientId],
  });
  const secretName = `broker/${tenantId}/${id}`;
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'lock',
      text: `SELECT pg_advisory_xact_lock(29549, hashtext($1))`,
      values: [secretName],
    });
    await client.query({
      name: 'versions',
      text: `SELECT "versionId", "stages", "requestToken" FROM "SecretVersion" WHERE "secretName" = $1`,
      values: [secretName],
    });
    const { ciphertext, iv, authTag } = sealed();
    await client.query({
      name: 'secret',
      text: `INSERT INTO "SecretVersion" ("secretName", "versionId", "ciphertext", "iv", "authTag", "stages", "requestToken")
             VALUES ($1, $2, $3, $4, $5, ARRAY['AWSCURRENT'], $6)`,
      values: [secretName, randomUUID(), ciphertext, iv, authTag, attemptId],
    });
  });
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'to-registered',
      text: `UPDATE "Registration" SET "state" = 'registered', "stateReason" = 'registered', "clientId" = $3,
                    "grantedMetadata" = $4, "metadataDifferences" = '[]', "credentialSecret" = $5,
                    "credentialVersion" = $6, "managementSupported" = true, "lastError" = NULL,
                    "nextAttemptAt" = NULL, "updatedAt" = now()
              WHERE "id" = $1 AND "tenantId" = $2 AND "state" = 'registering'`,
      values: [id, tenantId, clientId, GRANTED, secretName, randomUUID()],
    });
    await client.query({
      name: 'finish-attempt',
      text: `UPDATE "RegistrationAttempt" SET "outcome" = 'succeeded', "httpStatus" = 201, "clientId" = $2,
                    "finishedAt" = now() WHERE "id" = $1`,
      values: [attemptId, clientId],
    });
    await client.query({
      name: 'webhook-event',
      text: `INSERT INTO "WebhookEvent" ("id", "healthSystemId", "type", "body")
             SELECT $1, "healthSystemId", 'registration.created', $3 FROM "Registration" WHERE "id" = $2`,
      values: [randomUUID(), id, JSON.stringify({ type: 'registration.created', data: { clientId } })],
    });
    await client.query({
      name: 'audit',
      text: `INSERT INTO "AuditEvent" ("id", "tenantId", "actorType", "actorId", "action", "outcome", "registrationId", "details")
             VALUES ($1, $2, 'system', 'worker', 'registration.created', 'success', $3, $4)`,
      values: [randomUUID(), tenantId, id, JSON.stringify({ clientId, attemptId })],
    });
  });
  await checkCompletion(db, onboardingId);
}

async function batched(db: pg.Pool, fixture: Fixture, ids: string[]): Promise<void> {
  const { tenantId, onboardingId } = fixture;
  await db.query({
    name: 'b-context',
    text: `${CONTEXT} WHERE r."id" = ANY($1::uuid[]) AND r."tenantId" = $2`,
    values: [ids, tenantId],
  });
  await db.query({
    name: 'b-move',
    text: `UPDATE "Registration" SET "state" = 'discovering', "stateReason" = 'attempt 1', "updatedAt" = now()
            WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2 AND "state" = 'queued'`,
    values: [ids, tenantId],
  });
  const attemptIds = ids.map(() => randomUUID());
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'b-to-registering',
      text: `UPDATE "Registration" SET "state" = 'registering', "stateReason" = NULL,
                    "attemptCount" = "attemptCount" + 1, "updatedAt" = now()
              WHERE "id" = ANY($1::uuid[]) AND "tenantId" = $2 AND "state" = 'discovering'`,
      values: [ids, tenantId],
    });
    await client.query({
      name: 'b-attempt',
      text: `INSERT INTO "RegistrationAttempt" ("id", "tenantId", "registrationId", "action", "nonce")
             SELECT a, $2, r, 'register', n FROM unnest($1::uuid[], $3::uuid[], $4::text[]) AS x(a, r, n)`,
      values: [attemptIds, tenantId, ids, ids.map(() => randomBytes(12).toString('base64url'))],
    });
  });
  const clientIds = ids.map(() => randomBytes(16).toString('hex'));
  await db.query({
    name: 'b-note-client',
    text: `UPDATE "RegistrationAttempt" a SET "clientId" = x.c FROM unnest($1::uuid[], $2::text[]) AS x(id, c)
            WHERE a."id" = x.id`,
    values: [attemptIds, clientIds],
  });
  const secretNames = ids.map((id) => `broker/${tenantId}/${id}`);
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'b-lock',
      text: `SELECT pg_advisory_xact_lock(29549, hashtext(n)) FROM unnest($1::text[]) AS n ORDER BY n`,
      values: [secretNames],
    });
    await client.query({
      name: 'b-versions',
      text: `SELECT "secretName", "versionId", "stages", "requestToken" FROM "SecretVersion" WHERE "secretName" = ANY($1)`,
      values: [secretNames],
    });
    const values = ids.map(sealed);
    await client.query({
      name: 'b-secret',
      text: `INSERT INTO "SecretVersion" ("secretName", "versionId", "ciphertext", "iv", "authTag", "stages", "requestToken")
             SELECT n, v, c, i, t, ARRAY['AWSCURRENT'], r
               FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::bytea[], $6::text[]) AS x(n, v, c, i, t, r)`,
      values: [
        secretNames,
        ids.map(() => randomUUID()),
        values.map((v) => v.ciphertext),
        values.map((v) => v.iv),
        values.map((v) => v.authTag),
        attemptIds,
      ],
    });
  });
  await inTransaction(db, async (client) => {
    await client.query({
      name: 'b-to-registered',
      text: `UPDATE "Registration" r SET "state" = 'registered', "stateReason" = 'registered', "clientId" = x.c,
                    "grantedMetadata" = $3, "metadataDifferences" = '[]', "credentialSecret" = x.n,
                    "credentialVersion" = x.v, "managementSupported" = true, "lastError" = NULL,
                    "nextAttemptAt" = NULL, "updatedAt" = now()
               FROM unnest($1::uuid[], $4::text[], $5::text[], $6::text[]) AS x(id, c, n, v)
              WHERE r."id" = x.id AND r."tenantId" = $2 AND r."state" = 'registering'`,
      values: [ids, tenantId, GRANTED, clientIds, secretNames, ids.map(() => randomUUID())],
    });
    await client.query({
      name: 'b-finish-attempt',
      text: `UPDATE "RegistrationAttempt" a SET "outcome" = 'succeeded', "httpStatus" = 201, "clientId" = x.c,
                    "finishedAt" = now() FROM unnest($1::uuid[], $2::text[]) AS x(id, c) WHERE a."id" = x.id`,
      values: [attemptIds, clientIds],
    });
    await client.query({
      name: 'b-webhook-event',
      text: `INSERT INTO "WebhookEvent" ("id", "healthSystemId", "type", "body")
             SELECT x.e, r."healthSystemId", 'registration.created', x.b
               FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(e, id, b) JOIN "Registration" r ON r."id" = x.id`,
      values: [ids.map(() => randomUUID()), ids, clientIds.map((c) => JSON.stringify({ data: { clientId: c } }))],
    });
    await client.query({
      name: 'b-audit',
      text: `INSERT INTO "AuditEvent" ("id", "tenantId", "actorType", "actorId", "action", "outcome", "registrationId", "details")
             SELECT e, $2, 'system', 'worker', 'registration.created', 'success', r, d
               FROM unnest($1::uuid[], $3::uuid[], $4::jsonb[]) AS x(e, r, d)`,
      values: [ids.map(() => randomUUID()), tenantId, ids, clientIds.map((c) => JSON.stringify({ clientId: c }))],
    });
  });
  await checkCompletion(db, onboardingId);
}

async function measure(db: pg.Pool, label: string, run: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await createFixture(db);
  const postgresBefore = cpuMsOfCommand('postgres');
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await run(fixture);
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const postgresMs = cpuMsOfCommand('postgres') - postgresBefore;
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM "Registration" WHERE "onboardingId" = $1 AND "state" = 'registered'`,
    [fixture.onboardingId],
  );
  if (rows[0].n !== registrations) throw new Error(`${label}: ${rows[0].n} of ${registrations} registered`);
  row(
    label,
    `${(registrations / seconds).toFixed(0)}/s; CPU per registration: PostgreSQL ${(postgresMs / registrations).toFixed(2)} ms, ` +
      `client ${((client.user + client.system) / 1000 / registrations).toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const db = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  console.log(
    `bench:registration-writes  registrations=${registrations}  concurrency=${concurrency}  batch=${batchSize}  (${new Date().toISOString()})`,
  );
  const perRegistration = (fixture: Fixture) =>
    pool(fixture.registrationIds, concurrency, (id) => onePerRegistration(db, fixture, id));
  const inBatches = async (fixture: Fixture) => {
    const batches: string[][] = [];
    for (let i = 0; i < fixture.registrationIds.length; i += batchSize) {
      batches.push(fixture.registrationIds.slice(i, i + batchSize));
    }
    // As many batches in flight as there would be jobs per batch in flight: the same load.
    await pool(batches, Math.max(1, Math.round(concurrency / batchSize)), (ids) => batched(db, fixture, ids));
  };
  try {
    await measure(db, 'per registration (the broker protocol)', perRegistration);
    await measure(db, `batched, ${batchSize} per transaction`, inBatches);
    await measure(db, 'per registration (again, for noise)', perRegistration);
    await measure(db, `batched (again, for noise)`, inBatches);
  } finally {
    await db.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
