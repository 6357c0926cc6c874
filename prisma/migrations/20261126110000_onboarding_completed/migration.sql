-- AlterTable
ALTER TABLE "Onboarding" ADD COLUMN     "completedAt" TIMESTAMPTZ(3);

