import type { ApiKey, App, HealthSystem, Tenant } from '#domain';

/**
 * Response shapes. Controllers map domain records through these, so a new column never
 * reaches a client by accident, and no secret field exists to be serialised.
 */
export const toTenantResponse = (tenant: Tenant) => ({
  id: tenant.id,
  name: tenant.name,
  status: tenant.status,
  createdAt: tenant.createdAt.toISOString(),
  disabledAt: tenant.disabledAt?.toISOString() ?? null,
});

export const toApiKeyResponse = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

export const toHealthSystemResponse = (healthSystem: HealthSystem) => ({
  id: healthSystem.id,
  name: healthSystem.name,
  fhirBaseUrl: healthSystem.fhirBaseUrl,
  vendor: healthSystem.vendor,
  initialAccessTokenConfigured: healthSystem.initialAccessToken !== null,
  createdAt: healthSystem.createdAt.toISOString(),
  updatedAt: healthSystem.updatedAt.toISOString(),
});

export const toAppResponse = (app: App) => ({
  id: app.id,
  name: app.name,
  clientMetadata: app.clientMetadata,
  keyManagement: app.keyManagement,
  signingAlg: app.signingAlg,
  metadataVersion: app.metadataVersion,
  createdAt: app.createdAt.toISOString(),
  updatedAt: app.updatedAt.toISOString(),
});
