-- UDAP trust communities, app certificates, and the UDAP / software statement columns (issue 15).

-- AlterTable
ALTER TABLE "App" ADD COLUMN     "softwareStatementMode" TEXT,
ADD COLUMN     "softwareStatementSecret" TEXT,
ADD COLUMN     "softwareStatementVersion" TEXT,
ADD COLUMN     "udapB2b" JSONB;

-- AlterTable
ALTER TABLE "HealthSystem" ADD COLUMN     "requiresSoftwareStatement" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "udapCommunityId" UUID,
ADD COLUMN     "udapDiscoveredAt" TIMESTAMPTZ(3),
ADD COLUMN     "udapMetadata" JSONB;

-- AlterTable
ALTER TABLE "Registration" ADD COLUMN     "udapCertificateId" UUID,
ADD COLUMN     "udapIss" TEXT;

-- CreateTable
CREATE TABLE "TrustCommunity" (
    "id" UUID NOT NULL,
    "uri" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "trustAnchors" TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "TrustCommunity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AppCertificate" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "communityId" UUID NOT NULL,
    "state" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "privateKeySecret" TEXT NOT NULL,
    "privateKeyVersion" TEXT NOT NULL,
    "csrPem" TEXT,
    "chainPem" TEXT[],
    "subject" TEXT,
    "sanUri" TEXT,
    "notBefore" TIMESTAMPTZ(3),
    "notAfter" TIMESTAMPTZ(3),
    "replacesId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "AppCertificate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TrustCommunity_uri_key" ON "TrustCommunity"("uri");

-- CreateIndex
CREATE INDEX "TrustCommunity_createdAt_id_idx" ON "TrustCommunity"("createdAt", "id");

-- CreateIndex
CREATE INDEX "AppCertificate_tenantId_appId_communityId_createdAt_idx" ON "AppCertificate"("tenantId", "appId", "communityId", "createdAt");

-- CreateIndex
CREATE INDEX "AppCertificate_state_notAfter_idx" ON "AppCertificate"("state", "notAfter");
