import type { ClientMetadata } from './client-metadata.js';
import type { RegistrationState } from './registration-state.js';
import type { SecretRef } from './ports/secret-store.js';
import type { TenantId } from './tenant-id.js';

/** Plain domain records. Repositories map database rows to these; nothing above persistence sees Prisma types. */

/** A tenant API key acting for its tenant. */
export type TenantActor = Extract<Actor, { type: 'tenant_key' }>;
export type HealthSystemActor = Extract<Actor, { type: 'health_system_key' }>;

/** A background component acting on its own (worker, scheduler). */
export type SystemActor = Extract<Actor, { type: 'system' }>;

export type TenantStatus = 'active' | 'disabled';

export interface Tenant {
  id: TenantId;
  name: string;
  status: TenantStatus;
  createdAt: Date;
  disabledAt: Date | null;
}

export const API_KEY_SCOPES = [
  'apps:read',
  'apps:write',
  'onboardings:write',
  'registrations:read',
  'registrations:write',
  'credentials:read',
  'audit:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  tenantId: TenantId;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export type KeyManagement = 'none' | 'managed';
export type SigningAlg = 'ES384' | 'RS384';

export interface App {
  id: string;
  tenantId: TenantId;
  name: string;
  clientMetadata: ClientMetadata;
  keyManagement: KeyManagement;
  signingAlg: SigningAlg | null;
  metadataVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface HealthSystem {
  id: string;
  name: string;
  fhirBaseUrl: string;
  vendor: string | null;
  /** Jobs at most at once at this site, fleet-wide; null = the SITE_CONCURRENCY default. */
  siteConcurrency: number | null;
  /** Where the initial access token is stored, if the site needs one. Never the token. */
  initialAccessToken: SecretRef | null;
  /** The last discovery result (smart-client's description, with the source of each field). */
  discovery: Record<string, unknown> | null;
  discoveredAt: Date | null;
  /** How clients are registered here (see REGISTRATION_MODES). */
  registrationMode: RegistrationMode;
  /** Why the last discovery failed (kept until one succeeds); never a secret. */
  discoveryError: DiscoveryFailure | null;
  /** The site published UDAP metadata the last time it was asked. */
  udapDiscovered: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * `automatic`: RFC 7591 where discovery finds a registration endpoint, a manual request to the
 * site's administrators where it finds none; `dynamic` / `manual`: the operator's decision.
 */
export const REGISTRATION_MODES = ['automatic', 'dynamic', 'manual'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];
export interface DiscoveryFailure {
  error: string;
  description: string;
  at: string;
}

/** The last error of a registration, in RFC 7591 terms. */
export interface RegistrationError {
  error: string;
  error_description?: string;
  httpStatus?: number;
  retryable: boolean;
  at: string;
}

export interface Registration {
  id: string;
  tenantId: TenantId;
  appId: string;
  healthSystemId: string;
  onboardingId: string | null;
  state: RegistrationState;
  metadataVersion: number;
  requestedMetadata: ClientMetadata;
  grantedMetadata: Record<string, unknown> | null;
  metadataDifferences: unknown[] | null;
  clientId: string | null;
  clientIdIssuedAt: Date | null;
  clientSecretExpiresAt: Date | null;
  /** When the served secret was received; its lifetime runs to clientSecretExpiresAt. */
  clientSecretIssuedAt: Date | null;
  credential: SecretRef | null;
  managementSupported: boolean | null;
  attemptCount: number;
  nextAttemptAt: Date | null;
  lastError: RegistrationError | null;
  drift: unknown[] | null;
  /** Canonical metadata of the first RFC 7592 read of the current client and metadata (see drift). */
  managementBaseline: Record<string, unknown> | null;
  lastVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who did something, for the audit trail. */
export type Actor =
  | { type: 'operator' }
  | { type: 'tenant_key'; tenantId: TenantId; keyId: string }
  /** A site administrator's key, scoped to one health system. */
  | { type: 'health_system_key'; healthSystemId: string; keyId: string }
  | { type: 'system'; component: string };

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
