-- Why a site's last discovery failed ({ error, description, at }); cleared when one succeeds.
ALTER TABLE "HealthSystem" ADD COLUMN "discoveryError" JSONB;

-- Health-system administrator keys: one site's registrations and its own webhook endpoints.
CREATE TABLE "HealthSystemKey" (
    "id" UUID NOT NULL,
    "healthSystemId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "HealthSystemKey_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "HealthSystemKey_healthSystemId_createdAt_id_idx" ON "HealthSystemKey"("healthSystemId", "createdAt", "id");

ALTER TABLE "HealthSystemKey" ADD CONSTRAINT "HealthSystemKey_healthSystemId_fkey" FOREIGN KEY ("healthSystemId") REFERENCES "HealthSystem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
