-- Sites without dynamic registration (issue 17): a per-site registration mode, and the
-- requests the broker sends to a site's administrators for what it cannot do itself.

-- automatic: RFC 7591 where discovery finds a registration endpoint, manual otherwise;
-- dynamic / manual: the operator's decision, whatever discovery finds.
ALTER TABLE "HealthSystem" ADD COLUMN "registrationMode" TEXT NOT NULL DEFAULT 'automatic';

-- CreateTable
CREATE TABLE "RegistrationRequest" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "registrationId" UUID NOT NULL,
    "healthSystemId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "document" JSONB NOT NULL,
    "changes" JSONB,
    "metadataVersion" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "remindersSent" INTEGER NOT NULL DEFAULT 0,
    "lastRemindedAt" TIMESTAMPTZ(3),
    "nextReminderAt" TIMESTAMPTZ(3),
    "answeredAt" TIMESTAMPTZ(3),
    "answeredByKeyId" TEXT,
    "declineReason" TEXT,
    "clientId" TEXT,
    "proof" TEXT,
    "proofDetail" TEXT,

    CONSTRAINT "RegistrationRequest_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "RegistrationRequest_healthSystemId_status_createdAt_idx" ON "RegistrationRequest"("healthSystemId", "status", "createdAt");
CREATE INDEX "RegistrationRequest_tenantId_status_createdAt_idx" ON "RegistrationRequest"("tenantId", "status", "createdAt");
CREATE INDEX "RegistrationRequest_status_nextReminderAt_idx" ON "RegistrationRequest"("status", "nextReminderAt");
CREATE INDEX "RegistrationRequest_registrationId_kind_status_idx" ON "RegistrationRequest"("registrationId", "kind", "status");
-- One open request of each kind per registration: a repeated job (at-least-once) opens nothing twice.
CREATE UNIQUE INDEX "RegistrationRequest_one_open_per_kind" ON "RegistrationRequest"("registrationId", "kind") WHERE "status" = 'open';

ALTER TABLE "RegistrationRequest" ADD CONSTRAINT "RegistrationRequest_registrationId_fkey" FOREIGN KEY ("registrationId") REFERENCES "Registration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
