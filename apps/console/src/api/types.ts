// The response shapes the console reads (apps/api/src/http/responses.ts and the controllers).

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RegistrationError {
  error: string;
  error_description?: string;
  httpStatus?: number;
  retryable: boolean;
  at: string;
}

export interface App {
  id: string;
  name: string;
  clientMetadata: Record<string, unknown>;
  keyManagement: string;
  metadataVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface DiscoverySummary {
  status?: 'ok' | 'failed' | 'pending';
  discoveredAt: string | null;
  registrationSupported: boolean;
  managementSupported?: boolean | null;
  registrationEndpoint: string | null;
  tokenEndpoint: string | null;
  tokenEndpointAuthMethods?: string[];
  scopesSupported?: string[];
  sources: string[];
  warnings: string[];
  lastError?: { error: string; error_description?: string; at?: string } | null;
}

export interface HealthSystem {
  id: string;
  name: string;
  fhirBaseUrl: string;
  vendor: string | null;
  initialAccessTokenConfigured?: boolean;
  discovery: DiscoverySummary | null;
  createdAt?: string;
}

export interface Onboarding {
  id: string;
  appId: string;
  total: number;
  counts?: Record<string, number>;
  completed?: boolean;
  createdAt: string;
  completedAt: string | null;
}

export interface Registration {
  id: string;
  appId: string;
  healthSystemId: string;
  healthSystem?: { id: string; name: string; fhirBaseUrl?: string };
  onboardingId: string | null;
  state: string;
  clientId: string | null;
  clientSecretExpiresAt: string | null;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: RegistrationError | null;
  lastVerifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Difference {
  field: string;
  requested?: unknown;
  granted?: unknown;
  expected?: unknown;
  actual?: unknown;
  kind: string;
}

export interface RegistrationDetail extends Registration {
  healthSystem: { id: string; name: string; fhirBaseUrl: string };
  endpoints: Record<string, string | undefined>;
  managementSupported: boolean;
  requestedMetadata: Record<string, unknown> | null;
  grantedMetadata: Record<string, unknown> | null;
  metadataDifferences: Difference[];
  drift: Difference[];
  history: Array<{ fromState: string | null; toState: string; reason: string | null; at: string }>;
  attempts: Array<{
    id: string;
    action: string;
    outcome: string | null;
    httpStatus: number | null;
    clientId: string | null;
    startedAt: string;
    finishedAt: string | null;
  }>;
}

export interface Credentials {
  registrationId: string;
  clientId: string;
  clientSecret: string | null;
  clientSecretExpiresAt: string | null;
  tokenEndpoint: string | null;
  fhirBaseUrl: string;
}

export interface Tenant {
  id: string;
  name: string;
  status: string;
  createdAt: string;
  disabledAt: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  token?: string;
}

/** A registration as a health system's administrators see it (GET /v1/site/registrations). */
export interface SiteRegistration {
  id: string;
  tenant: { id: string; name: string };
  app: { id: string; name: string };
  clientId: string | null;
  clientName: string | null;
  state: string;
  since: string;
  createdAt: string;
  lastError: RegistrationError | null;
}

export interface WebhookEndpoint {
  id: string;
  healthSystemId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  lastDeliveredAt: string | null;
  signingSecret?: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  attempt: number;
  replay: boolean;
  at: string;
  outcome: string;
  httpStatus: number | null;
  latencyMs: number | null;
  error: string | null;
  nextAttemptAt: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actorType?: string;
  tenantId?: string | null;
  [key: string]: unknown;
}

export interface PossibleOrphan {
  id: string;
  healthSystemId: string;
  registrationId: string | null;
  clientId: string | null;
  clientName?: string | null;
  reason?: string | null;
  createdAt: string;
  resolvedAt: string | null;
  [key: string]: unknown;
}

/** Every registration state, in the order the console shows them (libs/domain registration-state.ts). */
export const REGISTRATION_STATES = [
  'queued',
  'discovering',
  'registering',
  'retrying',
  'registered',
  'failed',
  'orphan_suspected',
  'verifying',
  'updating',
  'rotating',
  'deleting',
  'deleted',
] as const;
