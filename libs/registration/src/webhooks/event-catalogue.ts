import { z } from 'zod';
import { REGISTRATION_STATES, type App, type HealthSystem, type Registration, type Tenant } from '#domain';

/**
 * The events health-system administrators can subscribe to, and the JSON each delivery carries
 * (documented with examples in docs/webhooks.md; a unit test checks the examples against these
 * schemas). The payload is a contract with receivers: add fields, never rename or remove one.
 * Every object schema strips unknown keys, so nothing a caller passes by mistake (a credential,
 * a raw server response) can reach a receiver.
 */
export const WEBHOOK_EVENT_TYPES = [
  'registration.created',
  'registration.updated',
  'registration.failed',
  'registration.secret_rotated',
  'registration.deleted',
  'registration.orphan_suspected',
  'onboarding.completed',
  'registration.requested',
  'registration.request_answered',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent on request to one endpoint (operator's test); not subscribable. */
export const PING_EVENT_TYPE = 'ping';

const healthSystemRef = z.object({ id: z.uuid(), name: z.string(), fhirBaseUrl: z.string() });

/** Who and what an event is about. `grantedScopes`/`grantTypes` are what the site granted (empty until it answered). */
export const webhookSubjectSchema = z.object({
  healthSystem: healthSystemRef,
  tenant: z.object({ id: z.uuid(), name: z.string() }),
  app: z.object({
    id: z.uuid(),
    name: z.string(),
    softwareId: z.string().nullable(),
    softwareVersion: z.string().nullable(),
    contacts: z.array(z.string()),
  }),
  registration: z.object({
    id: z.uuid(),
    state: z.enum(REGISTRATION_STATES),
    clientId: z.string().nullable(),
    grantedScopes: z.array(z.string()),
    grantTypes: z.array(z.string()),
  }),
});
export type WebhookSubject = z.output<typeof webhookSubjectSchema>;

const isoTime = z.iso.datetime({ offset: true });

/** A request to a site's administrators (manual registration; see libs/registration/src/manual). */
const siteRequestSchema = z.object({
  id: z.uuid(),
  kind: z.enum(['register', 'update', 'rotation', 'removal']),
  openedAt: isoTime,
  reminder: z.number().int().nonnegative(),
  /** Where the site answers (health-system key) and where the printable form is. */
  links: z.object({ self: z.string(), printable: z.string() }),
  document: z.record(z.string(), z.unknown()),
  /** `update`: what changed, member by member. */
  changes: z
    .array(z.object({ field: z.string(), from: z.unknown().optional(), to: z.unknown().optional() }))
    .nullable(),
});

/** What each event adds to the subject. */
const eventData = {
  'registration.created': webhookSubjectSchema,
  'registration.updated': webhookSubjectSchema.extend({
    /** RFC 7591 metadata fields whose value changed at the site. */
    changes: z.array(z.string()),
    /** True when the change needed a new client (no RFC 7592): `clientId` is new, `previousClientId` is gone. */
    clientReplaced: z.boolean().optional(),
    /** Set when the change needed a new client (no RFC 7592): the client it replaced. */
    previousClientId: z.string().nullable().optional(),
  }),
  'registration.failed': webhookSubjectSchema.extend({
    /** RFC 7591 §3.2.2 error of the site (or a broker code such as `network_error`). */
    error: z.object({
      code: z.string(),
      description: z.string().nullable(),
      httpStatus: z.number().int().nullable(),
      retryable: z.boolean(),
    }),
  }),
  'registration.secret_rotated': webhookSubjectSchema.extend({
    clientSecretExpiresAt: isoTime.nullable(),
    /**
     * True when the site could only renew the secret by registering a new client: `clientId` is the
     * new client, `previousClientId` the one it replaced (deleted at the site once the new one works).
     */
    clientReplaced: z.boolean().optional(),
    /** Set when the site could only renew the secret by registering a new client: the client it replaced. */
    previousClientId: z.string().nullable().optional(),
  }),
  'registration.deleted': webhookSubjectSchema.extend({
    reason: z.string().nullable(),
  }),
  'registration.orphan_suspected': webhookSubjectSchema.extend({
    /**
     * The registration attempt whose outcome is unknown (a crash after sending, a 5xx or timeout,
     * a credential that could not be stored): a client may exist at the site. `clientName` is
     * what the broker sent; `clientId` is known when the site's answer arrived.
     */
    attempt: z.object({
      id: z.uuid(),
      startedAt: isoTime,
      clientName: z.string().nullable().optional(),
      clientId: z.string().nullable().optional(),
    }),
    /** The operator's record of it (the registration itself registers again). */
    possibleOrphan: z
      .object({
        id: z.uuid(),
        reason: z.enum(['outcome_unknown', 'interrupted', 'credential_not_stored']),
        description: z.string(),
      })
      .optional(),
  }),
  'onboarding.completed': webhookSubjectSchema.extend({
    onboarding: z.object({ id: z.uuid() }),
  }),
  'registration.requested': webhookSubjectSchema.extend({
    /**
     * A site without dynamic registration: what its administrators are asked to do by hand, with
     * everything they need (`document`: client metadata, JWKS URL, contacts...; never a secret).
     * `reminder` is 0 when the request opens and counts the reminders re-sent while it stays open.
     */
    request: siteRequestSchema,
  }),
  'registration.request_answered': webhookSubjectSchema.extend({
    /** Who answered a request through the broker, when, and how (client id entered, or declined with a reason). */
    request: siteRequestSchema.pick({ id: true, kind: true, openedAt: true }).extend({
      status: z.enum(['completed', 'declined']),
      answeredAt: isoTime,
      answeredBy: z.object({ type: z.literal('health_system_key'), keyId: z.string() }),
      clientId: z.string().nullable(),
      declineReason: z.string().nullable(),
      proof: z.enum(['token_request_succeeded', 'not_testable']).nullable(),
    }),
  }),
} satisfies Record<WebhookEventType, z.ZodType>;

const pingData = z.object({ healthSystem: healthSystemRef, endpoint: z.object({ id: z.uuid() }) });

function envelope<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ id: z.uuid(), type: z.literal(type), timestamp: isoTime, data });
}

/** Every body a receiver can get. */
export const webhookPayloadSchema = z.discriminatedUnion('type', [
  envelope('registration.created', eventData['registration.created']),
  envelope('registration.updated', eventData['registration.updated']),
  envelope('registration.failed', eventData['registration.failed']),
  envelope('registration.secret_rotated', eventData['registration.secret_rotated']),
  envelope('registration.deleted', eventData['registration.deleted']),
  envelope('registration.orphan_suspected', eventData['registration.orphan_suspected']),
  envelope('onboarding.completed', eventData['onboarding.completed']),
  envelope('registration.requested', eventData['registration.requested']),
  envelope('registration.request_answered', eventData['registration.request_answered']),
  envelope(PING_EVENT_TYPE, pingData),
]);
export type WebhookPayload = z.output<typeof webhookPayloadSchema>;

/** What the code that changes a registration passes to `WebhookOutbox.record`: the type and its data. */
export const webhookEventInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('registration.created'), data: eventData['registration.created'] }),
  z.object({ type: z.literal('registration.updated'), data: eventData['registration.updated'] }),
  z.object({ type: z.literal('registration.failed'), data: eventData['registration.failed'] }),
  z.object({ type: z.literal('registration.secret_rotated'), data: eventData['registration.secret_rotated'] }),
  z.object({ type: z.literal('registration.deleted'), data: eventData['registration.deleted'] }),
  z.object({ type: z.literal('registration.orphan_suspected'), data: eventData['registration.orphan_suspected'] }),
  z.object({ type: z.literal('onboarding.completed'), data: eventData['onboarding.completed'] }),
  z.object({ type: z.literal('registration.requested'), data: eventData['registration.requested'] }),
  z.object({ type: z.literal('registration.request_answered'), data: eventData['registration.request_answered'] }),
]);
export type WebhookEventInput = z.input<typeof webhookEventInputSchema>;

/** The subject of an event from the domain records the caller already holds. */
export function webhookSubject(parts: {
  healthSystem: HealthSystem;
  tenant: Tenant;
  app: App;
  registration: Registration;
}): WebhookSubject {
  const { healthSystem, tenant, app, registration } = parts;
  const granted = registration.grantedMetadata ?? {};
  return {
    healthSystem: { id: healthSystem.id, name: healthSystem.name, fhirBaseUrl: healthSystem.fhirBaseUrl },
    tenant: { id: tenant.id, name: tenant.name },
    app: {
      id: app.id,
      name: app.name,
      softwareId: app.clientMetadata.software_id ?? null,
      softwareVersion: app.clientMetadata.software_version ?? null,
      contacts: app.clientMetadata.contacts ?? [],
    },
    registration: {
      id: registration.id,
      state: registration.state,
      clientId: registration.clientId,
      grantedScopes: typeof granted.scope === 'string' ? granted.scope.split(' ').filter(Boolean) : [],
      grantTypes: Array.isArray(granted.grant_types) ? granted.grant_types.filter((t) => typeof t === 'string') : [],
    },
  };
}
