-- DropIndex
DROP INDEX "AppSigningKey_appId_status_idx";

-- Keys created before this migration signed from their creation.
UPDATE "AppSigningKey" SET "activatedAt" = "createdAt" WHERE "activatedAt" IS NULL;

-- AlterTable
ALTER TABLE "AppSigningKey" DROP COLUMN "status",
ALTER COLUMN "activatedAt" SET NOT NULL;

-- CreateIndex
CREATE INDEX "AppSigningKey_appId_activatedAt_idx" ON "AppSigningKey"("appId", "activatedAt");

