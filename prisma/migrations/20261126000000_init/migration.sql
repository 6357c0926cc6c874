-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Tenant" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "disabledAt" TIMESTAMPTZ(3),

    CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "scopes" TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "App" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "clientMetadata" JSONB NOT NULL,
    "keyManagement" TEXT NOT NULL DEFAULT 'none',
    "signingAlg" TEXT,
    "metadataVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "App_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AppSigningKey" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "publicJwk" JSONB NOT NULL,
    "privateKeySecret" TEXT NOT NULL,
    "privateKeyVersion" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activatedAt" TIMESTAMPTZ(3),
    "retireAfter" TIMESTAMPTZ(3),

    CONSTRAINT "AppSigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HealthSystem" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "fhirBaseUrl" TEXT NOT NULL,
    "vendor" TEXT,
    "initialAccessTokenSecret" TEXT,
    "initialAccessTokenVersion" TEXT,
    "discovery" JSONB,
    "discoveredAt" TIMESTAMPTZ(3),
    "discoveryExpiresAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "HealthSystem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Registration" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "healthSystemId" UUID NOT NULL,
    "onboardingId" UUID,
    "state" TEXT NOT NULL,
    "metadataVersion" INTEGER NOT NULL,
    "requestedMetadata" JSONB NOT NULL,
    "grantedMetadata" JSONB,
    "metadataDifferences" JSONB,
    "clientId" TEXT,
    "clientIdIssuedAt" TIMESTAMPTZ(3),
    "clientSecretExpiresAt" TIMESTAMPTZ(3),
    "credentialSecret" TEXT,
    "credentialVersion" TEXT,
    "managementSupported" BOOLEAN,
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3),
    "lastError" JSONB,
    "drift" JSONB,
    "lastVerifiedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Registration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RegistrationAttempt" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "registrationId" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "outcome" TEXT NOT NULL DEFAULT 'pending',
    "httpStatus" INTEGER,
    "error" JSONB,
    "clientId" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "RegistrationAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RegistrationTransition" (
    "id" UUID NOT NULL,
    "registrationId" UUID NOT NULL,
    "fromState" TEXT,
    "toState" TEXT NOT NULL,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RegistrationTransition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Onboarding" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "appId" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Onboarding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "tenantId" UUID,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "action" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "appId" UUID,
    "healthSystemId" UUID,
    "registrationId" UUID,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SecretVersion" (
    "secretName" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "iv" BYTEA NOT NULL,
    "authTag" BYTEA NOT NULL,
    "stages" TEXT[],
    "requestToken" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "SecretVersion_pkey" PRIMARY KEY ("secretName","versionId")
);

-- CreateIndex
CREATE INDEX "Tenant_createdAt_id_idx" ON "Tenant"("createdAt", "id");

-- CreateIndex
CREATE INDEX "ApiKey_tenantId_createdAt_id_idx" ON "ApiKey"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "App_tenantId_createdAt_id_idx" ON "App"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "AppSigningKey_kid_key" ON "AppSigningKey"("kid");

-- CreateIndex
CREATE INDEX "AppSigningKey_appId_status_idx" ON "AppSigningKey"("appId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "HealthSystem_fhirBaseUrl_key" ON "HealthSystem"("fhirBaseUrl");

-- CreateIndex
CREATE INDEX "HealthSystem_createdAt_id_idx" ON "HealthSystem"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Registration_tenantId_createdAt_id_idx" ON "Registration"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Registration_onboardingId_state_idx" ON "Registration"("onboardingId", "state");

-- CreateIndex
CREATE INDEX "Registration_state_nextAttemptAt_idx" ON "Registration"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Registration_clientSecretExpiresAt_idx" ON "Registration"("clientSecretExpiresAt");

-- CreateIndex
CREATE INDEX "Registration_healthSystemId_state_idx" ON "Registration"("healthSystemId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "Registration_appId_healthSystemId_key" ON "Registration"("appId", "healthSystemId");

-- CreateIndex
CREATE INDEX "RegistrationAttempt_registrationId_startedAt_idx" ON "RegistrationAttempt"("registrationId", "startedAt");

-- CreateIndex
CREATE INDEX "RegistrationAttempt_outcome_startedAt_idx" ON "RegistrationAttempt"("outcome", "startedAt");

-- CreateIndex
CREATE INDEX "RegistrationTransition_registrationId_at_idx" ON "RegistrationTransition"("registrationId", "at");

-- CreateIndex
CREATE INDEX "Onboarding_tenantId_createdAt_id_idx" ON "Onboarding"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Onboarding_tenantId_idempotencyKey_key" ON "Onboarding"("tenantId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "AuditEvent_tenantId_at_id_idx" ON "AuditEvent"("tenantId", "at", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_at_id_idx" ON "AuditEvent"("at", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_registrationId_at_idx" ON "AuditEvent"("registrationId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "SecretVersion_secretName_requestToken_key" ON "SecretVersion"("secretName", "requestToken");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "App" ADD CONSTRAINT "App_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppSigningKey" ADD CONSTRAINT "AppSigningKey_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Registration" ADD CONSTRAINT "Registration_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Registration" ADD CONSTRAINT "Registration_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Registration" ADD CONSTRAINT "Registration_healthSystemId_fkey" FOREIGN KEY ("healthSystemId") REFERENCES "HealthSystem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Registration" ADD CONSTRAINT "Registration_onboardingId_fkey" FOREIGN KEY ("onboardingId") REFERENCES "Onboarding"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RegistrationAttempt" ADD CONSTRAINT "RegistrationAttempt_registrationId_fkey" FOREIGN KEY ("registrationId") REFERENCES "Registration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RegistrationTransition" ADD CONSTRAINT "RegistrationTransition_registrationId_fkey" FOREIGN KEY ("registrationId") REFERENCES "Registration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Onboarding" ADD CONSTRAINT "Onboarding_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Onboarding" ADD CONSTRAINT "Onboarding_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
