import type { ApiKey, App, HealthSystem, Registration, Tenant } from '#domain';
import type { AuditEvent, Onboarding } from '#persistence';
import { registrationPathOfSite, type OnboardingProgress, type RegistrationDetail } from '#registration';

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

/** What the operator needs to know of a site's discovery (the full description stays internal). */
function toDiscoverySummary(healthSystem: HealthSystem) {
  const description = healthSystem.discovery as {
    endpoints?: Record<string, { value: string } | undefined>;
    registrationSupported?: boolean;
    sources?: string[];
    warnings?: string[];
    expiresAt?: string;
  } | null;
  if (!description || !healthSystem.discoveredAt) return null;
  return {
    discoveredAt: healthSystem.discoveredAt.toISOString(),
    expiresAt: description.expiresAt ?? null,
    registrationSupported: description.registrationSupported ?? false,
    registrationEndpoint: description.endpoints?.registration?.value ?? null,
    tokenEndpoint: description.endpoints?.token?.value ?? null,
    sources: description.sources ?? [],
    warnings: description.warnings ?? [],
  };
}

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
  siteConcurrency: healthSystem.siteConcurrency,
  initialAccessTokenConfigured: healthSystem.initialAccessToken !== null,
  /** `automatic` | `dynamic` | `manual` as set; `registrationPath`: what applies now (null until discovered). */
  registrationMode: healthSystem.registrationMode,
  registrationPath: registrationPathOfSite(healthSystem),
  discovery: toDiscoverySummary(healthSystem),
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

export const toOnboardingResponse = (onboarding: OnboardingProgress | Onboarding) => ({
  id: onboarding.id,
  appId: onboarding.appId,
  total: onboarding.total,
  ...('counts' in onboarding ? { counts: onboarding.counts, completed: onboarding.completed } : {}),
  createdAt: onboarding.createdAt.toISOString(),
  completedAt: onboarding.completedAt?.toISOString() ?? null,
  links: { self: `/v1/onboardings/${onboarding.id}`, registrations: `/v1/registrations?onboardingId=${onboarding.id}` },
});

export const toRegistrationSummary = (registration: Registration) => ({
  id: registration.id,
  appId: registration.appId,
  healthSystemId: registration.healthSystemId,
  onboardingId: registration.onboardingId,
  state: registration.state,
  clientId: registration.clientId,
  clientSecretExpiresAt: registration.clientSecretExpiresAt?.toISOString() ?? null,
  metadataVersion: registration.metadataVersion,
  attemptCount: registration.attemptCount,
  nextAttemptAt: registration.nextAttemptAt?.toISOString() ?? null,
  lastError: registration.lastError,
  lastVerifiedAt: registration.lastVerifiedAt?.toISOString() ?? null,
  createdAt: registration.createdAt.toISOString(),
  updatedAt: registration.updatedAt.toISOString(),
});

export const toRegistrationDetail = (detail: RegistrationDetail) => ({
  ...toRegistrationSummary(detail.registration),
  healthSystem: {
    id: detail.healthSystem.id,
    name: detail.healthSystem.name,
    fhirBaseUrl: detail.healthSystem.fhirBaseUrl,
  },
  endpoints: detail.endpoints,
  managementSupported: detail.registration.managementSupported,
  requestedMetadata: detail.registration.requestedMetadata,
  grantedMetadata: detail.registration.grantedMetadata,
  metadataDifferences: detail.registration.metadataDifferences ?? [],
  drift: detail.registration.drift ?? [],
  history: detail.history.map((transition) => ({ ...transition, at: transition.at.toISOString() })),
  attempts: detail.attempts.map((attempt) => ({
    id: attempt.id,
    action: attempt.action,
    nonce: attempt.nonce,
    outcome: attempt.outcome,
    httpStatus: attempt.httpStatus,
    clientId: attempt.clientId,
    startedAt: attempt.startedAt.toISOString(),
    finishedAt: attempt.finishedAt?.toISOString() ?? null,
  })),
});

export const toAuditEventResponse = (event: AuditEvent) => ({
  ...event,
  at: event.at.toISOString(),
});
