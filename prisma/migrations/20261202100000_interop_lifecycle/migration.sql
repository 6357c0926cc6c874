-- AlterTable
ALTER TABLE "HealthSystem" ADD COLUMN     "siteConcurrency" INTEGER;
ALTER TABLE "Registration" ADD COLUMN     "managementBaseline" JSONB;
ALTER TABLE "Registration" ADD COLUMN     "clientSecretIssuedAt" TIMESTAMPTZ(3);
