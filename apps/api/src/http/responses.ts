import type { ApiKey, App, HealthSystem, Registration, Tenant } from '#domain';
import type { AuditEvent, Onboarding, RegistrationAttempt, Transition } from '#persistence';
import { registrationPathOfSite, type OnboardingProgress, type RegistrationDetail } from '#registration';
import type { z } from 'zod';
import type {
  ApiKeySchema,
  AttemptSchema,
  AppSchema,
  AuditEventSchema,
  DirectoryEntrySchema,
  DiscoverySummarySchema,
  HealthSystemSchema,
  OnboardingSchema,
  RegistrationDetailSchema,
  RegistrationSummarySchema,
  TenantSchema,
  TransitionSchema,
} from './schemas.js';

/**
 * Response shapes. Controllers map domain records through these, so a new column never
 * reaches a client by accident, and no secret field exists to be serialised.
 */
export const toTenantResponse = (tenant: Tenant): Out<typeof TenantSchema> => ({
  id: tenant.id,
  name: tenant.name,
  status: tenant.status as 'active' | 'disabled',
  createdAt: tenant.createdAt.toISOString(),
  disabledAt: tenant.disabledAt?.toISOString() ?? null,
});

type Out<T extends z.ZodType> = z.output<T>;

/**
 * What discovery found at a site (the full description stays internal), or why it failed.
 * `managementSupported` comes from the site's registrations: discovery cannot tell (see
 * SmartServerDescription.managementSupported).
 */
export function toDiscoverySummary(
  healthSystem: HealthSystem,
  managementSupported: boolean | null = null,
): Out<typeof DiscoverySummarySchema> {
  const description = healthSystem.discovery as {
    endpoints?: Record<string, { value: string } | undefined>;
    supported?: Record<string, { value: string[] } | undefined>;
    capabilities?: { value: string[] };
    registrationSupported?: boolean;
    sources?: string[];
    warnings?: string[];
    expiresAt?: string;
  } | null;
  const failure = healthSystem.discoveryError;
  const failedLast =
    failure !== null && (!healthSystem.discoveredAt || new Date(failure.at) >= healthSystem.discoveredAt);
  return {
    status: failedLast ? 'failed' : description && healthSystem.discoveredAt ? 'ok' : 'pending',
    discoveredAt: healthSystem.discoveredAt?.toISOString() ?? null,
    expiresAt: description?.expiresAt ?? null,
    registrationSupported: description?.registrationSupported ?? false,
    managementSupported,
    registrationEndpoint: description?.endpoints?.registration?.value ?? null,
    tokenEndpoint: description?.endpoints?.token?.value ?? null,
    tokenEndpointAuthMethods: description?.supported?.tokenEndpointAuthMethods?.value ?? [],
    scopesSupported: description?.supported?.scopes?.value ?? [],
    capabilities: description?.capabilities?.value ?? [],
    udap: healthSystem.udapDiscovered,
    sources: description?.sources ?? [],
    warnings: description?.warnings ?? [],
    lastError: failure,
  };
}

export const toApiKeyResponse = (key: ApiKey): Out<typeof ApiKeySchema> => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

export const toHealthSystemResponse = (
  healthSystem: HealthSystem,
  managementSupported: boolean | null = null,
): Out<typeof HealthSystemSchema> => ({
  id: healthSystem.id,
  name: healthSystem.name,
  fhirBaseUrl: healthSystem.fhirBaseUrl,
  vendor: healthSystem.vendor,
  siteConcurrency: healthSystem.siteConcurrency,
  initialAccessTokenConfigured: healthSystem.initialAccessToken !== null,
  /** `automatic` | `dynamic` | `manual` as set; `registrationPath`: what applies now (null until discovered). */
  registrationMode: healthSystem.registrationMode,
  registrationPath: registrationPathOfSite(healthSystem),
  discovery: toDiscoverySummary(healthSystem, managementSupported),
  createdAt: healthSystem.createdAt.toISOString(),
  updatedAt: healthSystem.updatedAt.toISOString(),
});

/** A health system as a tenant sees it in the directory: no concurrency, no token configuration. */
export const toDirectoryEntry = (
  healthSystem: HealthSystem,
  managementSupported: boolean | null = null,
): Out<typeof DirectoryEntrySchema> => ({
  id: healthSystem.id,
  name: healthSystem.name,
  vendor: healthSystem.vendor,
  fhirBaseUrl: healthSystem.fhirBaseUrl,
  discovery: toDiscoverySummary(healthSystem, managementSupported),
});

export const toAppResponse = (app: App): Out<typeof AppSchema> => ({
  id: app.id,
  name: app.name,
  clientMetadata: app.clientMetadata as Record<string, unknown>,
  keyManagement: app.keyManagement,
  signingAlg: app.signingAlg,
  metadataVersion: app.metadataVersion,
  createdAt: app.createdAt.toISOString(),
  updatedAt: app.updatedAt.toISOString(),
});

export const toOnboardingResponse = (onboarding: OnboardingProgress | Onboarding): Out<typeof OnboardingSchema> => ({
  id: onboarding.id,
  appId: onboarding.appId,
  total: onboarding.total,
  ...('counts' in onboarding
    ? { counts: onboarding.counts as Record<string, number>, completed: onboarding.completed }
    : {}),
  createdAt: onboarding.createdAt.toISOString(),
  completedAt: onboarding.completedAt?.toISOString() ?? null,
  links: { self: `/v1/onboardings/${onboarding.id}`, registrations: `/v1/registrations?onboardingId=${onboarding.id}` },
});

/**
 * `healthSystemName` comes from the directory (lists look the names up once per page); a
 * registration always names its site in words, not only by id.
 */
export const toRegistrationSummary = (
  registration: Registration,
  healthSystemName: string,
): Out<typeof RegistrationSummarySchema> => ({
  id: registration.id,
  appId: registration.appId,
  healthSystemId: registration.healthSystemId,
  healthSystem: { id: registration.healthSystemId, name: healthSystemName },
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

export const toRegistrationDetail = (detail: RegistrationDetail): Out<typeof RegistrationDetailSchema> => ({
  ...toRegistrationSummary(detail.registration, detail.healthSystem.name),
  healthSystem: {
    id: detail.healthSystem.id,
    name: detail.healthSystem.name,
    fhirBaseUrl: detail.healthSystem.fhirBaseUrl,
  },
  endpoints: Object.fromEntries(
    Object.entries(detail.endpoints).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  ),
  managementSupported: detail.registration.managementSupported,
  requestedMetadata: detail.registration.requestedMetadata as Record<string, unknown>,
  grantedMetadata: detail.registration.grantedMetadata as Record<string, unknown> | null,
  metadataDifferences: detail.registration.metadataDifferences ?? [],
  drift: detail.registration.drift ?? [],
  history: detail.history.map(toTransitionResponse),
  /** Older history: `GET /v1/registrations/:id/history?cursor=` (null when all of it is above). */
  historyOlderCursor: detail.historyOlderCursor,
  attempts: detail.attempts.map(toAttemptResponse),
  attemptsOlderCursor: detail.attemptsOlderCursor,
});

export const toTransitionResponse = (transition: Transition): Out<typeof TransitionSchema> => ({
  ...transition,
  at: transition.at.toISOString(),
});

export const toAttemptResponse = (attempt: RegistrationAttempt): Out<typeof AttemptSchema> => ({
  id: attempt.id,
  action: attempt.action,
  nonce: attempt.nonce,
  outcome: attempt.outcome,
  httpStatus: attempt.httpStatus,
  clientId: attempt.clientId,
  startedAt: attempt.startedAt.toISOString(),
  finishedAt: attempt.finishedAt?.toISOString() ?? null,
});

export const toAuditEventResponse = (event: AuditEvent): Out<typeof AuditEventSchema> => ({
  ...event,
  at: event.at.toISOString(),
});
