import type { BrokerConfig } from '#config';
import type { App, ClientMetadata, HealthSystem, Registration, Tenant } from '#domain';
import type { SiteRequest, SiteRequestKind } from '#persistence';
import { managedJwksUri } from '../engine/requested-metadata.js';

/** Auth methods that need a secret the site issues (and the administrator enters). */
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

export function needsClientSecret(metadata: Readonly<Record<string, unknown>>): boolean {
  const method =
    typeof metadata.token_endpoint_auth_method === 'string'
      ? metadata.token_endpoint_auth_method
      : 'client_secret_basic';
  return SECRET_METHODS.has(method);
}

const WHAT_TO_DO: Record<SiteRequestKind, string> = {
  register:
    'Register this app as an OAuth client in your EHR with the values below, then enter the client_id it issued ' +
    '(and the client secret, if the EHR issued one) through the broker. Or decline with a reason the app vendor will see.',
  update:
    'The app changed: apply the changes below to its client in your EHR, then mark this request complete ' +
    '(enter a new client_id or secret only if the EHR issued new ones).',
  rotation:
    'The client secret expires soon: issue a new secret for this client in your EHR and enter it through the broker ' +
    'before the old one expires.',
  removal: 'The app was offboarded: remove this client from your EHR, then mark this request complete.',
};

/**
 * Everything a site's administrators need to act on a request by hand, and nothing secret: the
 * app's RFC 7591 metadata as the broker would have sent it (with the `jwks_uri` of broker-managed
 * keys, so `private_key_jwt` apps are registered without any secret changing hands), in named
 * fields and as the raw JSON document. Built once, stored with the request, shown and exported as is.
 */
export function requestDocument(input: {
  kind: SiteRequestKind;
  config: BrokerConfig;
  app: App;
  tenant: Tenant;
  healthSystem: HealthSystem;
  registration: Registration;
  metadata: ClientMetadata | Record<string, unknown>;
}): Record<string, unknown> {
  const { kind, config, app, tenant, healthSystem, registration } = input;
  const metadata: Record<string, unknown> = { ...input.metadata };
  if (app.keyManagement === 'managed') metadata.jwks_uri = managedJwksUri(config, app.id);
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const method = text(metadata.token_endpoint_auth_method) ?? 'client_secret_basic';
  return {
    kind,
    whatToDo: WHAT_TO_DO[kind],
    site: { id: healthSystem.id, name: healthSystem.name, fhirBaseUrl: healthSystem.fhirBaseUrl },
    vendor: { tenantId: tenant.id, name: tenant.name },
    app: { id: app.id, name: app.name },
    currentClientId: kind === 'register' ? null : registration.clientId,
    client: {
      clientName: text(metadata.client_name),
      redirectUris: list(metadata.redirect_uris),
      launchUri: text(metadata.initiate_login_uri),
      grantTypes: list(metadata.grant_types),
      responseTypes: list(metadata.response_types),
      scopes: text(metadata.scope)?.split(' ').filter(Boolean) ?? [],
      tokenEndpointAuthMethod: method,
      tokenEndpointAuthSigningAlg: method === 'private_key_jwt' ? (app.signingAlg ?? null) : null,
      jwksUri: text(metadata.jwks_uri),
      jwksInline: metadata.jwks !== undefined,
      needsClientSecret: needsClientSecret(metadata),
      contacts: list(metadata.contacts),
      logoUri: text(metadata.logo_uri),
      clientUri: text(metadata.client_uri),
      tosUri: text(metadata.tos_uri),
      policyUri: text(metadata.policy_uri),
      softwareId: text(metadata.software_id),
      softwareVersion: text(metadata.software_version),
    },
    ...(kind === 'rotation' && {
      clientSecretExpiresAt: registration.clientSecretExpiresAt?.toISOString() ?? null,
    }),
    clientMetadata: metadata,
  };
}

/** Member by member, what an app change asks the site to apply (canonical JSON comparison). */
export function metadataChanges(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): NonNullable<SiteRequest['changes']> {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields
    .filter((field) => canonical(before[field]) !== canonical(after[field]))
    .map((field) => ({
      field,
      ...(before[field] !== undefined && { from: before[field] }),
      ...(after[field] !== undefined && { to: after[field] }),
    }));
}

function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Where a request is answered and printed (the site administrators' routes). */
export function requestLinks(config: BrokerConfig, requestId: string) {
  const self = `${config.api.publicBaseUrl}/v1/site/registration-requests/${requestId}`;
  return { self, printable: `${self}/printable` };
}

/** The request as webhook receivers, the site and the tenant see it. */
export function requestPayload(config: BrokerConfig, request: SiteRequest) {
  return {
    id: request.id,
    kind: request.kind,
    openedAt: request.openedAt.toISOString(),
    reminder: request.remindersSent,
    links: requestLinks(config, request.id),
    document: request.document,
    changes: request.changes,
  };
}
