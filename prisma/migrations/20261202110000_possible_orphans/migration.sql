-- CreateTable
CREATE TABLE "PossibleOrphan" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "registrationId" UUID NOT NULL,
    "healthSystemId" UUID NOT NULL,
    "attemptId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "clientId" TEXT,
    "clientName" TEXT,
    "attemptStartedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolution" TEXT,
    "resolutionNote" TEXT,

    CONSTRAINT "PossibleOrphan_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PossibleOrphan_attemptId_key" ON "PossibleOrphan"("attemptId");

-- CreateIndex
CREATE INDEX "PossibleOrphan_resolvedAt_createdAt_idx" ON "PossibleOrphan"("resolvedAt", "createdAt");

-- CreateIndex
CREATE INDEX "PossibleOrphan_healthSystemId_createdAt_idx" ON "PossibleOrphan"("healthSystemId", "createdAt");

-- CreateIndex
CREATE INDEX "PossibleOrphan_registrationId_idx" ON "PossibleOrphan"("registrationId");

-- AddForeignKey
ALTER TABLE "PossibleOrphan" ADD CONSTRAINT "PossibleOrphan_registrationId_fkey" FOREIGN KEY ("registrationId") REFERENCES "Registration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

