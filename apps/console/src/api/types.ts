// The API's shapes, from the generated client's schemas (libs/api-client: the OpenAPI document).
import type { Schemas } from '../../../../libs/api-client/src/index';

export type { Schemas };
export type App = Schemas['App'];
export type HealthSystem = Schemas['HealthSystem'];
export type DirectoryEntry = Schemas['DirectoryEntry'];
export type DiscoverySummary = Schemas['DiscoverySummary'];
export type Onboarding = Schemas['Onboarding'];
export type Registration = Schemas['RegistrationSummary'];
export type RegistrationDetail = Schemas['RegistrationDetail'];
export type RegistrationError = Schemas['RegistrationError'];
export type SiteRegistration = Schemas['SiteRegistration'];
export type Credentials = Schemas['ClientCredentials'];
export type Tenant = Schemas['Tenant'];
export type ApiKey = Schemas['ApiKey'];
export type ApiKeyScope = ApiKey['scopes'][number];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type AuditEvent = Schemas['AuditEvent'];
export type PossibleOrphan = Schemas['PossibleOrphan'];
export type Page<T> = { items: T[]; nextCursor: string | null };

/** A difference between two metadata documents: requested vs granted, or recorded vs at the site (drift). */
export interface Difference {
  field: string;
  requested?: unknown;
  granted?: unknown;
  expected?: unknown;
  actual?: unknown;
  kind: string;
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
] as const satisfies ReadonlyArray<Registration['state']>;
