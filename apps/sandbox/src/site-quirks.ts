import { z } from 'zod';
import type { Middleware } from 'oidc-provider';

/**
 * Ways real authorization servers (EHR fronts on Keycloak, Authlib, vendor stacks) answer
 * differently from oidc-provider. Each knob is independent, so a test can build a site with any
 * combination (thin GET + array shapes + new secret on PUT + 500 after create...), on top of any
 * profile. They change only what the site answers, never what oidc-provider stores, except where
 * the knob is about what is stored (secrets on PUT, required redirect_uris).
 */
export interface SiteQuirks {
  /** RFC 7592 GET and PUT answers omit client_secret_expires_at, the registration access token
   * (unless rotated in this answer), registration_client_uri, client_id_issued_at and scope. */
  thinManagementAnswers?: boolean;
  /** Single-valued members answered as one-element arrays; `scope` as an array of scope tokens. */
  arrayShapes?: boolean;
  /** Absent members answered as `""` (URIs) or `[]` (lists). */
  emptyForAbsent?: boolean;
  /** Members no RFC defines in every client answer. */
  extraMembers?: boolean;
  /** RFC 7592 PUT: `renew` issues a new client secret and revokes the old at once; `keep` keeps it. */
  secretOnPut?: 'keep' | 'renew';
  /** Registration access token: a new one on every RFC 7592 call (the used one revoked), or never. */
  registrationAccessTokenRotation?: 'every_call' | 'never';
  /** The first N registrations create the client, then answer 500. */
  serverErrorAfterCreate?: number;
  /** Registration answered 200 instead of 201. */
  registrationStatus200?: boolean;
  /** RFC 7592 DELETE answered 200 with an empty body instead of 204. */
  deleteAnswers200Empty?: boolean;
  /** 401/403 answers with an empty body and no WWW-Authenticate (registration, management, token). */
  bareAuthErrors?: boolean;
  /** Registration refuses clients without redirect_uris, client_credentials-only ones included. */
  requireRedirectUris?: boolean;
  /** Tokens grant at most these scopes (the registration echoes what was asked). */
  tokenScopes?: string[];
  /** A token request for no allowed scope: `invalid_scope` (400) or a bare 403. */
  scopeRefusal?: 'invalid_scope' | 'forbidden_empty';
  /** No RFC 7592 at all (no registration access token). */
  noManagement?: boolean;
  /** A registration that arrives while another is in flight fails with 500 (nothing created). */
  corruptConcurrentRegistrations?: boolean;
  /** After an RFC 7592 PUT, the token endpoint refuses the client (`invalid_client`) for this long:
   * a secret renewed on PUT that is not yet accepted while the old one is already revoked. */
  tokenRefusedAfterUpdateMs?: number;
}

export const siteQuirksSchema = z.strictObject({
  thinManagementAnswers: z.boolean().optional(),
  arrayShapes: z.boolean().optional(),
  emptyForAbsent: z.boolean().optional(),
  extraMembers: z.boolean().optional(),
  secretOnPut: z.enum(['keep', 'renew']).optional(),
  registrationAccessTokenRotation: z.enum(['every_call', 'never']).optional(),
  serverErrorAfterCreate: z.number().int().nonnegative().optional(),
  registrationStatus200: z.boolean().optional(),
  deleteAnswers200Empty: z.boolean().optional(),
  bareAuthErrors: z.boolean().optional(),
  requireRedirectUris: z.boolean().optional(),
  tokenScopes: z.array(z.string().min(1)).optional(),
  scopeRefusal: z.enum(['invalid_scope', 'forbidden_empty']).optional(),
  noManagement: z.boolean().optional(),
  corruptConcurrentRegistrations: z.boolean().optional(),
  tokenRefusedAfterUpdateMs: z.number().int().nonnegative().max(600_000).optional(),
}) satisfies z.ZodType<SiteQuirks>;

const CLIENT_ROUTES = new Set(['registration', 'client', 'client_update']);
const MANAGEMENT_ROUTES = new Set(['client', 'client_update', 'client_delete']);
const SINGLE_VALUED = ['token_endpoint_auth_method', 'client_name', 'id_token_signed_response_alg', 'software_id'];
const EMPTY_STRINGS = ['logo_uri', 'tos_uri', 'policy_uri', 'client_uri'];
const EMPTY_LISTS = ['contacts', 'post_logout_redirect_uris', 'redirect_uris'];
const THIN_OMITS = ['client_secret_expires_at', 'registration_client_uri', 'client_id_issued_at', 'scope'];

/** The answer rewrites of `quirks`, as one oidc-provider (Koa) middleware; undefined when none applies. */
export function quirksMiddleware(quirks: SiteQuirks): Middleware | undefined {
  const answers =
    quirks.thinManagementAnswers ||
    quirks.arrayShapes ||
    quirks.emptyForAbsent ||
    quirks.extraMembers ||
    quirks.serverErrorAfterCreate ||
    quirks.registrationStatus200 ||
    quirks.deleteAnswers200Empty ||
    quirks.bareAuthErrors ||
    quirks.tokenScopes ||
    quirks.scopeRefusal ||
    quirks.tokenRefusedAfterUpdateMs;
  if (!answers) return undefined;
  let errorsAfterCreateLeft = quirks.serverErrorAfterCreate ?? 0;
  const updatedAt = new Map<string, number>();
  return async (ctx, next) => {
    const tokenBefore = ctx.get('authorization');
    await next();
    const route = ctx.oidc?.route;
    if (!route) return;
    const body = ctx.body as Record<string, unknown> | undefined;

    if (route === 'client_update' && ctx.status === 200 && ctx.oidc?.client) {
      updatedAt.set(ctx.oidc.client.clientId, Date.now());
    }
    if (route === 'token') {
      const clientId = ctx.oidc?.client?.clientId;
      const refusedUntil = clientId ? (updatedAt.get(clientId) ?? 0) + (quirks.tokenRefusedAfterUpdateMs ?? 0) : 0;
      if (ctx.status === 200 && Date.now() < refusedUntil) {
        ctx.status = 401;
        ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
        return;
      }
      if (ctx.status === 200 && body && quirks.tokenScopes) {
        const allowed = new Set(quirks.tokenScopes);
        const granted = String(body.scope ?? '')
          .split(' ')
          .filter((scope) => allowed.has(scope));
        if (granted.length) body.scope = granted.join(' ');
        else {
          ctx.status = 400;
          ctx.body = { error: 'invalid_scope', error_description: 'none of the requested scopes is granted in tokens' };
        }
      }
      if (ctx.status === 400 && (ctx.body as { error?: string })?.error === 'invalid_scope') {
        if (quirks.scopeRefusal === 'forbidden_empty') bare(ctx, 403);
      }
    }
    if (quirks.bareAuthErrors && (ctx.status === 401 || ctx.status === 403)) bare(ctx, ctx.status);

    if (route === 'registration' && ctx.status === 201) {
      if (errorsAfterCreateLeft > 0) {
        errorsAfterCreateLeft--;
        ctx.status = 500;
        ctx.body = { error: 'server_error', error_description: 'an unexpected error occurred' };
        return;
      }
      if (quirks.registrationStatus200) ctx.status = 200;
    }
    if (route === 'client_delete' && ctx.status === 204 && quirks.deleteAnswers200Empty) {
      ctx.body = '';
      ctx.status = 200;
      return;
    }
    if (!CLIENT_ROUTES.has(route) || ctx.status >= 300 || !body || typeof body !== 'object') return;

    if (quirks.thinManagementAnswers && MANAGEMENT_ROUTES.has(route)) {
      for (const member of THIN_OMITS) delete body[member];
      // A token the site just rotated must reach the client; the one it sent is left out.
      if (body.registration_access_token === tokenBefore.replace(/^Bearer\s+/i, '')) {
        delete body.registration_access_token;
      }
      // The secret only when it changed (a PUT that renews it).
      if (route === 'client') delete body.client_secret;
    }
    if (quirks.emptyForAbsent) {
      for (const member of EMPTY_STRINGS) if (body[member] === undefined) body[member] = '';
      for (const member of EMPTY_LISTS) if (body[member] === undefined) body[member] = [];
    }
    if (quirks.arrayShapes) {
      for (const member of SINGLE_VALUED) if (typeof body[member] === 'string') body[member] = [body[member]];
      if (typeof body.scope === 'string') body.scope = body.scope.split(' ');
    }
    if (quirks.extraMembers) {
      body.x_vendor_client_status = 'active';
      body.vendor_metadata = { tier: 'standard', reviewed: false };
    }
  };
}

/** A 401/403 with nothing in it: no body, no WWW-Authenticate. */
function bare(ctx: Parameters<Middleware>[0], status: number): void {
  ctx.remove('WWW-Authenticate');
  ctx.body = '';
  ctx.status = status;
}
