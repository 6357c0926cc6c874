import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type Configuration, type Middleware } from 'oidc-provider';
import type { SiteStore } from './memory-adapter.js';
import { metadataPolicies, type ClientEvent } from './metadata-policies.js';
import type { SiteBehaviour } from './site-profiles.js';
import { SUPPORTED_SCOPES } from './smart-scopes.js';
import { quirksMiddleware } from './site-quirks.js';

/** Keys every site's provider shares: generating an RSA key per site would make 1,000 sites slow. */
export interface SharedProviderKeys {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
}

export async function createSharedProviderKeys(): Promise<SharedProviderKeys> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'sandbox-rs256', alg: 'RS256', use: 'sig' };
  return { jwks: { keys: [jwk] }, cookieKeys: [randomBytes(32).toString('base64url')] };
}

export interface SiteProviderOptions {
  issuer: string;
  behaviour: SiteBehaviour;
  store: SiteStore;
  keys: SharedProviderKeys;
  onServerError: (error: Error) => void;
}

/** RFC 7591 §2 metadata that oidc-provider would otherwise drop from the stored client. */
const SOFTWARE_METADATA = ['software_id', 'software_version'];

const EVENT_OF_ROUTE: Record<string, ClientEvent> = { registration: 'register', client_update: 'update' };

/**
 * One site's OAuth 2.0 server: oidc-provider with RFC 7591 registration, RFC 7592 management
 * (unless the profile has none), client_credentials with client_secret_basic, client_secret_post
 * and private_key_jwt (RS384/ES384 as SMART requires), introspection and revocation.
 */
export function createSiteProvider({ issuer, behaviour, store, keys, onServerError }: SiteProviderOptions): Provider {
  const policies = metadataPolicies(behaviour);

  const configuration: Configuration = {
    adapter: store.adapterFactory,
    jwks: keys.jwks,
    cookies: { keys: keys.cookieKeys },
    scopes: scopesOf(behaviour),
    // The default 15 s would keep an expired client secret working 15 s longer; the sandbox and its
    // clients share one machine's clock, so expiry is exact.
    clockTolerance: 0,
    // Explicit values (oidc-provider's defaults) silence its "you SHOULD change" notice on each use.
    ttl: { ClientCredentials: 600, AccessToken: 3600 },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: { clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'] },
    extraClientMetadata: {
      properties: SOFTWARE_METADATA,
      // The documented hook for changing metadata while a client is built: it runs once per extra
      // property, so the site's policies run on the first. Without a request (clients loaded from
      // storage, operator edits) there is nothing to apply.
      validator(ctx, key, value, metadata) {
        if (value !== undefined && typeof value !== 'string') {
          throw new errors.InvalidClientMetadata(`${key} must be a string`);
        }
        const event = ctx?.oidc ? EVENT_OF_ROUTE[ctx.oidc.route] : undefined;
        if (key !== SOFTWARE_METADATA[0] || !event || !ctx?.oidc?.body) return;
        for (const policy of policies) policy(metadata, event, ctx.oidc.body);
      },
    },
    // oidc-provider refuses to fetch a `jwks_uri` on loopback addresses (SSRF protection in
    // lib/helpers/fetch_request.js); in the sandbox the client's JWKS is served on 127.0.0.1.
    fetch: (url, { dispatcher: _ssrfGuard, ...options }) => fetch(url, options),
    features: {
      // Its login pages warn once per provider and are not needed for registration tests.
      devInteractions: { enabled: false },
      registration: {
        enabled: behaviour.dynamicRegistration,
        initialAccessToken: behaviour.initialAccessToken ?? false,
        issueRegistrationAccessToken: behaviour.management,
      },
      // oidc-provider 9 rotates the registration access token on PUT by default; only
      // `rotating-rat` sites do.
      registrationManagement: {
        enabled: behaviour.management,
        rotateRegistrationAccessToken: behaviour.rotatesRegistrationAccessToken,
      },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
  };

  const provider = new Provider(issuer, configuration);
  // The sandbox is reached directly over plain http: no X-Forwarded-* headers to trust.
  provider.proxy = false;
  // Answer rewrites run outermost, so they see the final answer (after the read rotation below).
  const quirks = quirksMiddleware(behaviour.quirks);
  if (quirks) provider.use(quirks);
  if (behaviour.rotatesRegistrationAccessToken) provider.use(rotateRegistrationAccessTokenOnRead);
  provider.on('server_error', (_ctx, error) => onServerError(error));
  return provider;
}

function scopesOf(behaviour: SiteBehaviour): ReadonlySet<string> {
  const extra = behaviour.allowedScopes?.filter((scope) => !SUPPORTED_SCOPES.has(scope)) ?? [];
  return extra.length ? new Set([...SUPPORTED_SCOPES, ...extra]) : SUPPORTED_SCOPES;
}

/**
 * Keycloak answers every RFC 7592 read with a new registration access token and revokes the one
 * used (RFC 7592 §2.1 allows it). oidc-provider only rotates on update, so after its read handler
 * this replaces the token in the same way its update handler does (lib/actions/registration.js).
 */
const rotateRegistrationAccessTokenOnRead: Middleware = async (ctx, next) => {
  await next();
  const { oidc } = ctx;
  const used = oidc?.entities.RegistrationAccessToken;
  if (ctx.method !== 'GET' || oidc?.route !== 'client' || ctx.status !== 200 || !used || !oidc.client) return;
  const fresh = new oidc.provider.RegistrationAccessToken({ client: oidc.client, policies: used.policies });
  const body = ctx.body as Record<string, unknown>;
  body.registration_access_token = await fresh.save();
  await used.destroy();
};
