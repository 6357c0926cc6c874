-- Indexes for a fleet of a million registrations (issue 18): list pages whose cost does not grow
-- with their depth, periodic jobs that read only the rows they act on, and retention deletes by
-- index range.
--
-- Applying this to a big production database: `CREATE INDEX` holds a SHARE lock on its table for
-- the whole build, which blocks every write (registrations, attempts, audit events, webhook
-- deliveries) meanwhile: a few seconds at 100k registrations, minutes at 1M and beyond. On such a
-- database, create each index by hand first, outside a transaction, with the same name:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS "Registration_appId_createdAt_id_idx" ON "Registration" ("appId", "createdAt", "id");
--   ... (every statement below, with CONCURRENTLY)
-- then run `npm run db:migrate`: the `IF NOT EXISTS` below finds them and the migration only
-- records itself. (Prisma runs each migration in a transaction, where CONCURRENTLY is refused,
-- so this file cannot say CONCURRENTLY itself.) A failed concurrent build leaves an INVALID
-- index: drop it and build it again.

-- GET /v1/registrations?appId= (the app implies the tenant) and ?state=: keyset pages walk these.
CREATE INDEX IF NOT EXISTS "Registration_appId_createdAt_id_idx" ON "Registration" ("appId", "createdAt", "id");
CREATE INDEX IF NOT EXISTS "Registration_tenantId_state_createdAt_id_idx" ON "Registration" ("tenantId", "state", "createdAt", "id");

-- Reconciler (findStalled, findStalledIn): registrations in given states without progress since a
-- time. A full index, not a partial one on the in-flight states: the states arrive as statement
-- parameters, and a generic plan cannot prove a partial index's predicate from parameters.
CREATE INDEX IF NOT EXISTS "Registration_state_updatedAt_idx" ON "Registration" ("state", "updatedAt");

-- Reconciler: onboardings not yet completed. Partial: only open onboardings are in it, so it stays
-- as small as the work in progress however many onboardings the fleet has finished.
CREATE INDEX IF NOT EXISTS "Onboarding_open_createdAt_idx" ON "Onboarding" ("createdAt") WHERE "completedAt" IS NULL;
-- GET /v1/onboardings?appId=
CREATE INDEX IF NOT EXISTS "Onboarding_appId_createdAt_id_idx" ON "Onboarding" ("appId", "createdAt", "id");

-- Registration details: history and attempts pages, newest first, with the id as tie-breaker.
-- They replace the indexes without the id (built first, so no moment goes without one; by hand:
-- DROP INDEX CONCURRENTLY after the concurrent builds).
CREATE INDEX IF NOT EXISTS "RegistrationTransition_registrationId_at_id_idx" ON "RegistrationTransition" ("registrationId", "at", "id");
DROP INDEX IF EXISTS "RegistrationTransition_registrationId_at_idx";
CREATE INDEX IF NOT EXISTS "RegistrationAttempt_registrationId_startedAt_id_idx" ON "RegistrationAttempt" ("registrationId", "startedAt", "id");
DROP INDEX IF EXISTS "RegistrationAttempt_registrationId_startedAt_idx";

-- Retention: the oldest rows of each table by index range, a small batch at a time.
-- History and attempts keep some old rows (each registration's newest), so their passes move on by
-- (time, id) position: the id is in the index.
CREATE INDEX IF NOT EXISTS "RegistrationTransition_at_id_idx" ON "RegistrationTransition" ("at", "id");
CREATE INDEX IF NOT EXISTS "RegistrationAttempt_startedAt_id_idx" ON "RegistrationAttempt" ("startedAt", "id");
CREATE INDEX IF NOT EXISTS "WebhookDelivery_at_idx" ON "WebhookDelivery" ("at");

-- No JIT compilation for the broker's statements. At a million registrations a prepared statement's
-- generic plan estimates tens of thousands of rows for an index range that returns a handful, the
-- estimate crosses jit_above_cost, and PostgreSQL spent ~90 ms compiling expressions for a query
-- that runs in 0.3 ms (bench:scale, EXPLAIN ANALYZE on the reconciler and retention statements).
-- JIT pays off for analytics, not for this OLTP work. Needs the database's owner; a role that is
-- not gets a notice, and the operator can run the statement (or set jit = off in postgresql.conf).
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'jit stays on: only the owner of database % can turn it off (ALTER DATABASE ... SET jit = off)', current_database();
END
$$;
