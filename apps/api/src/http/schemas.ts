import { z } from 'zod';
import { API_KEY_SCOPES, REGISTRATION_MODES, REGISTRATION_STATES } from '#domain';
import { named, pageOf } from './openapi.js';

/**
 * The response bodies of the API, one named schema per shape. The mappers in responses.ts are
 * typed by these (`z.output<typeof ...>`), so a mapper and its documented schema cannot drift
 * apart without the compiler saying so; the OpenAPI document and the generated client are
 * built from them.
 */

const uuid = () => z.uuid();
const timestamp = () => z.iso.datetime({ offset: true });
const nullableTimestamp = () => timestamp().nullable();
const json = () => z.record(z.string(), z.unknown());

export const registrationState = z
  .enum(REGISTRATION_STATES)
  .describe(
    'queued → discovering → registering → registered; retrying (transient error, see nextAttemptAt), ' +
      'failed (needs the tenant or the operator), orphan_suspected, verifying, updating, rotating, deleting → deleted; ' +
      'awaiting_site (a site without dynamic registration: waiting for its administrators to register the client by hand).',
  );

export const TenantSchema = named(
  'Tenant',
  z.object({
    id: uuid(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    createdAt: timestamp(),
    disabledAt: nullableTimestamp(),
  }),
);
export const TenantPageSchema = pageOf(TenantSchema);

export const ApiKeySchema = named(
  'ApiKey',
  z.object({
    id: uuid(),
    name: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdAt: timestamp(),
    lastUsedAt: nullableTimestamp(),
    revokedAt: nullableTimestamp(),
  }),
  'A tenant API key; the token itself is shown only once, when issued.',
);
export const ApiKeyPageSchema = pageOf(ApiKeySchema);
export const IssuedApiKeySchema = named(
  'IssuedApiKey',
  ApiKeySchema.extend({ token: z.string().describe('The key: shown in this answer only, never again.') }),
);

export const HealthSystemKeySchema = named(
  'HealthSystemKey',
  z.object({
    id: uuid(),
    healthSystemId: uuid(),
    name: z.string(),
    createdAt: timestamp(),
    lastUsedAt: nullableTimestamp(),
    revokedAt: nullableTimestamp(),
  }),
  'A health-system administrator key; the token itself is shown only once, when issued.',
);
export const HealthSystemKeyPageSchema = pageOf(HealthSystemKeySchema);
export const IssuedHealthSystemKeySchema = named(
  'IssuedHealthSystemKey',
  HealthSystemKeySchema.extend({ token: z.string().describe('The key: shown in this answer only, never again.') }),
);

export const DiscoveryFailureSchema = named(
  'DiscoveryFailure',
  z.object({
    error: z.string().describe('Stable code, e.g. `discovery_failed`, `outbound_blocked`, `timeout`.'),
    description: z.string().describe('What went wrong, in words.'),
    at: timestamp(),
  }),
  'Why the last discovery of this site failed.',
);

export const DiscoverySummarySchema = named(
  'DiscoverySummary',
  z.object({
    status: z
      .enum(['ok', 'failed', 'pending'])
      .describe('ok: the last discovery succeeded; failed: it did not (see lastError); pending: not tried yet.'),
    discoveredAt: nullableTimestamp().describe('When discovery last succeeded.'),
    expiresAt: nullableTimestamp(),
    registrationSupported: z.boolean().describe('The site advertises an RFC 7591 registration endpoint.'),
    managementSupported: z
      .boolean()
      .nullable()
      .describe('RFC 7592 management: true or false once a registration there answered; null before.'),
    registrationEndpoint: z.string().nullable(),
    tokenEndpoint: z.string().nullable(),
    tokenEndpointAuthMethods: z.array(z.string()),
    scopesSupported: z.array(z.string()),
    capabilities: z.array(z.string()).describe('SMART capabilities the site advertises.'),
    udap: z.boolean().describe('The site publishes UDAP metadata (/.well-known/udap).'),
    sources: z.array(z.string()),
    warnings: z.array(z.string()),
    lastError: DiscoveryFailureSchema.nullable(),
  }),
  'What the last discovery of the site found (never a secret).',
);

export const HealthSystemSchema = named(
  'HealthSystem',
  z.object({
    id: uuid(),
    name: z.string(),
    fhirBaseUrl: z.string(),
    vendor: z.string().nullable(),
    siteConcurrency: z.number().int().nullable(),
    initialAccessTokenConfigured: z.boolean(),
    registrationMode: z
      .enum(REGISTRATION_MODES)
      .describe(
        'automatic: RFC 7591 where discovery finds a registration endpoint, registration by hand where it finds none; ' +
          'dynamic / manual: the operator’s decision.',
      ),
    registrationPath: z
      .enum(['dynamic', 'manual'])
      .nullable()
      .describe(
        'How clients are registered here now (null until discovered): by the broker, or by the site’s administrators.',
      ),
    discovery: DiscoverySummarySchema,
    createdAt: timestamp(),
    updatedAt: timestamp(),
  }),
  'A health system of the directory, as the operator sees it.',
);
export const HealthSystemPageSchema = pageOf(HealthSystemSchema);

export const DirectoryEntrySchema = named(
  'DirectoryEntry',
  z.object({
    id: uuid(),
    name: z.string(),
    vendor: z.string().nullable(),
    fhirBaseUrl: z.string(),
    discovery: DiscoverySummarySchema,
  }),
  'A health system as tenants see it: where apps can be onboarded.',
);
export const DirectoryEntryPageSchema = pageOf(DirectoryEntrySchema);

export const AppSchema = named(
  'App',
  z.object({
    id: uuid(),
    name: z.string(),
    clientMetadata: json().describe('RFC 7591 client metadata as requested at every site.'),
    keyManagement: z.enum(['none', 'managed']),
    signingAlg: z.string().nullable(),
    metadataVersion: z.number().int(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  }),
);
export const AppPageSchema = pageOf(AppSchema);

export const SigningKeyRotationSchema = named(
  'SigningKeyRotation',
  z.object({
    kid: z.string(),
    alg: z.string(),
    activatedAt: timestamp().describe('When the new key starts signing (it is published at once).'),
  }),
);

export const AppDeletionSchema = named(
  'AppDeletion',
  z.object({
    id: uuid(),
    deleted: z.literal(true),
    registrationsDeleting: z
      .number()
      .int()
      .describe('Registrations whose clients are being deleted at their sites (follow links.registrations).'),
    links: z.object({ registrations: z.string() }),
  }),
  'The app is gone; its clients are being deleted at every site in the background.',
);

const stateCounts = z.record(z.string(), z.number().int()).describe('Registrations by state.');

export const OnboardingSchema = named(
  'Onboarding',
  z.object({
    id: uuid(),
    appId: uuid(),
    total: z.number().int(),
    counts: stateCounts.optional().describe('Registrations by state (on GET of one onboarding and on start).'),
    completed: z.boolean().optional().describe('Every registration is settled.'),
    createdAt: timestamp(),
    completedAt: nullableTimestamp(),
    links: z.object({ self: z.string(), registrations: z.string() }),
  }),
);
export const OnboardingPageSchema = pageOf(OnboardingSchema);

export const RegistrationErrorSchema = named(
  'RegistrationError',
  z.object({
    error: z.string().describe('RFC 7591 / OAuth error code, or the broker’s own (e.g. `discovery_failed`).'),
    error_description: z.string().optional(),
    httpStatus: z.number().int().optional(),
    retryable: z.boolean(),
    at: timestamp(),
  }),
  'The last error of a registration, in RFC 7591 terms.',
);

export const HealthSystemRefSchema = named(
  'HealthSystemRef',
  z.object({ id: uuid(), name: z.string() }),
  'The health system a registration is at.',
);

export const RegistrationSummarySchema = named(
  'RegistrationSummary',
  z.object({
    id: uuid(),
    appId: uuid(),
    healthSystemId: uuid(),
    healthSystem: HealthSystemRefSchema,
    onboardingId: uuid().nullable(),
    state: registrationState,
    clientId: z.string().nullable(),
    clientSecretExpiresAt: nullableTimestamp(),
    metadataVersion: z.number().int(),
    attemptCount: z.number().int(),
    nextAttemptAt: nullableTimestamp(),
    lastError: RegistrationErrorSchema.nullable(),
    lastVerifiedAt: nullableTimestamp(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  }),
);
export const RegistrationSummaryPageSchema = pageOf(RegistrationSummarySchema);

export const LifecycleAcceptedSchema = named(
  'LifecycleAccepted',
  RegistrationSummarySchema.extend({
    action: z.enum(['verify', 'rotate', 'delete']),
    movingTo: registrationState.describe(
      'The state the action moves the registration to (`state` is where it is now: the worker makes the move).',
    ),
    links: z.object({ self: z.string().describe('Follow to see the action finish (state, history, attempts).') }),
  }),
  'Accepted: the registration as it is now, the state the action moves it to, and where to follow it.',
);

export const TransitionSchema = named(
  'Transition',
  z.object({
    fromState: z.string().nullable(),
    toState: z.string(),
    reason: z.string().nullable(),
    at: timestamp(),
  }),
  'One change of a registration’s state.',
);
export const TransitionPageSchema = pageOf(TransitionSchema);

export const AttemptSchema = named(
  'Attempt',
  z.object({
    id: uuid(),
    action: z.string(),
    nonce: z.string(),
    outcome: z.string(),
    httpStatus: z.number().int().nullable(),
    clientId: z.string().nullable(),
    startedAt: timestamp(),
    finishedAt: nullableTimestamp(),
  }),
  'One outbound call that can create or change a client at the site, and how it ended.',
);
export const AttemptPageSchema = pageOf(AttemptSchema);

export const RegistrationDetailSchema = named(
  'RegistrationDetail',
  RegistrationSummarySchema.extend({
    healthSystem: HealthSystemRefSchema.extend({ fhirBaseUrl: z.string() }),
    endpoints: z.record(z.string(), z.string()).describe('The site’s endpoints from discovery (token, authorize...).'),
    managementSupported: z.boolean().nullable(),
    requestedMetadata: json(),
    grantedMetadata: json().nullable(),
    metadataDifferences: z.array(z.unknown()).describe('Requested vs granted, field by field.'),
    drift: z.array(z.unknown()).describe('Differences found by the last verification.'),
    history: z.array(TransitionSchema).describe('The newest 50 state changes, oldest first.'),
    historyOlderCursor: z
      .string()
      .nullable()
      .describe('Older history: `GET /v1/registrations/{id}/history?cursor=` (null when all of it is above).'),
    attempts: z.array(AttemptSchema).describe('The newest 50 attempts, oldest first.'),
    attemptsOlderCursor: z
      .string()
      .nullable()
      .describe('Older attempts: `GET /v1/registrations/{id}/attempts?cursor=` (null when all of them are above).'),
  }),
);

export const ClientCredentialsSchema = named(
  'ClientCredentials',
  z.object({
    registrationId: uuid(),
    clientId: z.string(),
    clientSecret: z.string().nullable(),
    clientSecretExpiresAt: nullableTimestamp(),
    tokenEndpoint: z.string().nullable(),
    fhirBaseUrl: z.string(),
    signingKey: z
      .object({ kid: z.string(), alg: z.string(), privateJwk: json() })
      .nullable()
      .describe('For apps whose keys the broker manages: the private key to sign client assertions with.'),
  }),
  'What the app needs to use its client at the site. Every read is audited.',
);

export const AuditEventSchema = named(
  'AuditEvent',
  z.object({
    id: uuid(),
    at: timestamp(),
    tenantId: uuid().nullable().optional(),
    actorType: z.string().describe('operator | tenant_key | health_system_key | system'),
    actorId: z.string().nullable(),
    action: z.string(),
    outcome: z.enum(['success', 'failure', 'attempt']),
    appId: uuid().nullable().optional(),
    healthSystemId: uuid().nullable().optional(),
    registrationId: uuid().nullable().optional(),
    details: json().nullable().optional(),
  }),
);
export const AuditEventPageSchema = pageOf(AuditEventSchema);

export const PossibleOrphanSchema = named(
  'PossibleOrphan',
  z.object({
    id: uuid(),
    tenantId: uuid(),
    registrationId: uuid(),
    healthSystemId: uuid(),
    attemptId: uuid(),
    reason: z.string(),
    clientId: z.string().nullable(),
    clientName: z.string().nullable(),
    attemptStartedAt: timestamp(),
    createdAt: timestamp(),
    resolvedAt: nullableTimestamp(),
    resolution: z.string().nullable(),
    resolutionNote: z.string().nullable(),
  }),
);
export const PossibleOrphanPageSchema = pageOf(PossibleOrphanSchema);

export const WebhookEndpointSchema = named(
  'WebhookEndpoint',
  z.object({
    id: uuid(),
    healthSystemId: uuid(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledAt: nullableTimestamp(),
    disabledReason: z.string().nullable(),
    lastDeliveredAt: nullableTimestamp(),
    previousSecretSignsUntil: nullableTimestamp().describe(
      'While set, deliveries carry a signature with the previous secret too.',
    ),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  }),
);
export const WebhookEndpointPageSchema = pageOf(WebhookEndpointSchema);
export const WebhookEndpointWithSecretSchema = named(
  'WebhookEndpointWithSecret',
  WebhookEndpointSchema.extend({
    signingSecret: z.string().describe('`whsec_...`: shown in this answer only; the broker cannot show it again.'),
  }),
);

export const WebhookDeliverySchema = named(
  'WebhookDelivery',
  z.object({
    id: uuid(),
    eventId: uuid(),
    eventType: z.string(),
    attempt: z.number().int(),
    replay: z.boolean(),
    at: timestamp(),
    outcome: z.enum(['delivered', 'retry_scheduled', 'failed']),
    httpStatus: z.number().int().nullable(),
    latencyMs: z.number().int().nullable(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable(),
    nextAttemptAt: nullableTimestamp(),
  }),
);
export const WebhookDeliveryPageSchema = pageOf(WebhookDeliverySchema);

export const WebhookEventSchema = named(
  'WebhookEvent',
  z.object({
    id: uuid(),
    type: z.string(),
    createdAt: timestamp(),
    dispatchedAt: nullableTimestamp(),
    payload: z.unknown().describe('The exact body delivered (Standard Webhooks).'),
  }),
);
export const WebhookEventPageSchema = pageOf(WebhookEventSchema);

export const WebhookEventRefSchema = named(
  'WebhookEventRef',
  z.object({ eventId: uuid() }),
  'The event queued for delivery (follow its deliveries).',
);

export const SiteRegistrationSchema = named(
  'SiteRegistration',
  z.object({
    id: uuid(),
    tenant: z.object({ id: uuid(), name: z.string() }),
    app: z.object({ id: uuid(), name: z.string() }),
    clientId: z.string().nullable(),
    clientName: z.string().nullable(),
    state: registrationState,
    since: timestamp().describe('When the registration reached its current state.'),
    createdAt: timestamp(),
    lastError: RegistrationErrorSchema.nullable(),
  }),
  'A client registered (or being registered) at the caller’s health system. Never a credential.',
);
export const SiteRegistrationPageSchema = pageOf(SiteRegistrationSchema);

export const TrustCommunitySchema = named(
  'TrustCommunity',
  z.object({
    id: uuid(),
    uri: z.string(),
    name: z.string(),
    trustAnchors: z.array(z.string()),
    createdAt: timestamp(),
  }),
);
export const TrustCommunityListSchema = named('TrustCommunityList', z.object({ items: z.array(TrustCommunitySchema) }));

export const HealthSystemUdapSchema = named(
  'HealthSystemUdap',
  z.object({
    community: z.object({ id: uuid(), uri: z.string(), name: z.string() }).nullable(),
    requiresSoftwareStatement: z.boolean(),
    discovery: z.unknown().describe('The last validated UDAP discovery (profiles, extensions, signer), or null.'),
    discoveredAt: nullableTimestamp(),
  }),
);

export const AppCertificateSchema = named(
  'AppCertificate',
  z.looseObject({
    id: uuid(),
    appId: uuid(),
    communityId: uuid(),
    state: z.enum(['awaiting_chain', 'active', 'superseded']),
    csr: z.string().nullable().optional().describe('PEM certificate signing request for the community CA.'),
  }),
  'An app’s UDAP certificate: subject, SAN, expiry and community; never the private key.',
);
export const AppCertificateListSchema = named('AppCertificateList', z.object({ items: z.array(AppCertificateSchema) }));
export const UploadedChainSchema = named(
  'UploadedChain',
  AppCertificateSchema.extend({ reRegistered: z.array(RegistrationSummarySchema) }),
);

export const LooseObjectSchema = (id: string, description: string) => named(id, z.looseObject({}), description);
export const SoftwareStatementConfigSchema = LooseObjectSchema(
  'SoftwareStatementConfig',
  'The app’s software statement mode (the supplied JWT is write-only and never shown).',
);
export const UdapSettingsSchema = LooseObjectSchema('UdapSettings', 'The app’s hl7-b2b extension values.');
export const UdapClientDescriptionSchema = LooseObjectSchema(
  'UdapClientDescription',
  'What the app needs for UDAP token requests at this site (client_id, token endpoint, extensions).',
);
export const UdapTokenCheckSchema = LooseObjectSchema(
  'UdapTokenCheck',
  'The outcome of a client_credentials token request with the UDAP assertion (the token itself is not shown).',
);
export const JwksSchema = named(
  'Jwks',
  z.object({ keys: z.array(json()) }),
  'A JSON Web Key Set (RFC 7517) of public keys.',
);
