-- The verify and rotation sweeps read only the registrations that are due (issue 18, item 2).
--
-- Both indexes are partial on the rows a sweep can act on: settled (`registered`, `failed`) with
-- a client (`credentialSecret`). Rows in flight, deleted, pending or without a client are not in
-- them, so each stays as small as the settled fleet and a selection is one index range. The
-- queries (RegistrationRepository.findDueForVerify / findDueForRotation) state the same
-- predicate literally: a partial index is only chosen when the query implies its predicate.
--
-- Applying this to a big production database: `CREATE INDEX` blocks writes to "Registration" for
-- the whole build (minutes at a million rows). Build each index by hand first, outside a
-- transaction, with the same name:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS "Registration_verify_due_idx" ON "Registration" ...
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS "Registration_rotation_due_idx" ON "Registration" ...
--   DROP INDEX CONCURRENTLY IF EXISTS "Registration_clientSecretExpiresAt_idx";
-- then run `npm run db:migrate`: the `IF NOT EXISTS` / `IF EXISTS` below find them and the
-- migration only records itself. A failed concurrent build leaves an INVALID index: drop it and
-- build it again.

-- Verify sweep: oldest verification first, never-verified rows (NULL) before all of them.
CREATE INDEX IF NOT EXISTS "Registration_verify_due_idx" ON "Registration"
  ((COALESCE("lastVerifiedAt", 'epoch'::timestamptz)), "id")
  WHERE "state" IN ('registered', 'failed') AND "credentialSecret" IS NOT NULL;

-- Rotation sweep: soonest expiring secret first; the rotation window is the range's upper bound.
CREATE INDEX IF NOT EXISTS "Registration_rotation_due_idx" ON "Registration" ("clientSecretExpiresAt", "id")
  WHERE "state" IN ('registered', 'failed') AND "credentialSecret" IS NOT NULL AND "clientSecretExpiresAt" IS NOT NULL;

-- Replaced by the partial index above (it was read only by the rotation sweep).
DROP INDEX IF EXISTS "Registration_clientSecretExpiresAt_idx";
