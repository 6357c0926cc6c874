-- At most one version of a secret holds AWSCURRENT (Secrets Manager's rule, which the local store
-- always kept under its advisory lock). As an index it also lets the store write a secret's FIRST
-- version in one statement without the lock's transaction: two first writers racing cannot both
-- win (LocalSecretStore.put). Existing data already satisfies it.
CREATE UNIQUE INDEX IF NOT EXISTS "SecretVersion_one_current_idx" ON "SecretVersion" ("secretName")
  WHERE 'AWSCURRENT' = ANY ("stages");
