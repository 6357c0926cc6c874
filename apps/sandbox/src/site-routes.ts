import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { capabilityStatement } from './capability-statement.js';
import { HttpError, sendJson } from './http-io.js';

/** Discovery documents may be cached for five minutes, as production EHRs commonly allow. */
const DISCOVERY_CACHING = { 'cache-control': 'max-age=300' };
import type { Site } from './site.js';
import { smartConfiguration } from './smart-configuration.js';

/**
 * Serves one site's URLs (`path` is what follows `/sites/{name}`):
 * - `GET /fhir/metadata`: FHIR CapabilityStatement with the SMART oauth-uris extension
 * - `GET /fhir/.well-known/smart-configuration`: SMART discovery (404 on `metadata-only` sites)
 * - `GET /manage`: SMART's user-facing list of registered apps
 * - `/oidc/...`: the site's oidc-provider (issuer `/sites/{name}/oidc`)
 * `slow` sites wait before answering anything; `flaky` sites fail some registrations up front.
 */
export async function handleSiteRequest(
  site: Site,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  signal: AbortSignal,
): Promise<void> {
  if (site.behaviour.delayMs) await delay(site.behaviour.delayMs, undefined, { signal });
  const isGet = req.method === 'GET';

  if (isGet && path === '/fhir/metadata') {
    const description = `Sandbox site ${site.name} (${site.behaviour.profile})`;
    return sendJson(
      res,
      200,
      withoutRegistration(site, capabilityStatement(site.urls, description, site.createdAt)),
      DISCOVERY_CACHING,
      'application/fhir+json',
    );
  }
  if (isGet && path === '/fhir/.well-known/smart-configuration' && site.behaviour.wellKnownDiscovery) {
    return sendJson(res, 200, withoutRegistration(site, smartConfiguration(site.urls)), DISCOVERY_CACHING);
  }
  if (isGet && path === '/manage') return sendManagePage(site, res);
  if (path === '/oidc' || path.startsWith('/oidc/')) {
    return forwardToProvider(site, req, res, path.slice('/oidc'.length) || '/', query);
  }
  throw new HttpError(404, 'not_found', `no resource at ${path} on site ${site.name}`);
}

async function forwardToProvider(
  site: Site,
  req: IncomingMessage,
  res: ServerResponse,
  oauthPath: string,
  query: string,
): Promise<void> {
  // Older servers publish no discovery document at all: neither SMART's nor OIDC / RFC 8414's.
  if (!site.behaviour.wellKnownDiscovery && oauthPath.startsWith('/.well-known/')) {
    throw new HttpError(404, 'not_found', `site ${site.name} publishes no discovery document`);
  }
  if (req.method === 'POST' && oauthPath === '/reg') {
    const failure = site.nextRegistrationFailure();
    if (failure === 429) {
      const retryAfter = String(site.behaviour.flaky?.retryAfterSeconds ?? 1);
      throw new HttpError(429, 'too_many_requests', 'registration rate limit reached', { 'retry-after': retryAfter });
    }
    if (failure === 503) throw new HttpError(503, 'temporarily_unavailable', 'registration service unavailable');
    if (site.behaviour.quirks.corruptConcurrentRegistrations) return registerAlone(site, req, res, oauthPath, query);
  }
  // Mounted under a prefix: oidc-provider derives its mount path from `originalUrl` minus `url`
  // (lib/helpers/oidc_context.js urlFor), the way Express's `app.use(prefix, ...)` presents it.
  Object.assign(req, { originalUrl: req.url });
  req.url = oauthPath + query;
  await site.providerHandler()(req, res);
}

/**
 * A server that cannot take two registrations at once (seen: the second one corrupted): a
 * registration arriving while another is in flight fails with 500 and creates nothing. Each
 * registration is held a little so that concurrent ones really overlap.
 */
async function registerAlone(
  site: Site,
  req: IncomingMessage,
  res: ServerResponse,
  oauthPath: string,
  query: string,
): Promise<void> {
  if (site.registrationsInFlight > 0) {
    site.concurrentRegistrationsRefused++;
    throw new HttpError(500, 'server_error', 'registration store corrupted by a concurrent registration');
  }
  site.registrationsInFlight++;
  try {
    await delay(100);
    Object.assign(req, { originalUrl: req.url });
    req.url = oauthPath + query;
    await site.providerHandler()(req, res);
  } finally {
    site.registrationsInFlight--;
  }
}

/**
 * A `manual` site advertises no registration endpoint anywhere (SMART configuration, the
 * CapabilityStatement's oauth-uris; oidc-provider's own discovery leaves it out once registration
 * is disabled): a client discovering it learns that apps are registered by hand there.
 */
function withoutRegistration(site: Site, document: Record<string, unknown>): Record<string, unknown> {
  if (site.behaviour.dynamicRegistration) return document;
  const { registration_endpoint: _registration, management_endpoint: _management, ...rest } = document;
  if (rest.resourceType !== 'CapabilityStatement') return rest;
  const text = JSON.stringify(rest);
  const parsed = JSON.parse(text) as {
    rest: Array<{ security: { extension: Array<{ extension: Array<{ url: string }> }> } }>;
  };
  for (const extension of parsed.rest[0]?.security.extension ?? []) {
    extension.extension = extension.extension.filter((member) => member.url !== 'register');
  }
  return parsed as unknown as Record<string, unknown>;
}

function sendManagePage(site: Site, res: ServerResponse): void {
  const apps = site.store
    .clientIds()
    .map((clientId) => site.store.client(clientId)?.client_name ?? clientId)
    .map((name) => `<li>${escapeHtml(String(name))}</li>`)
    .join('');
  const html =
    `<!doctype html><meta charset="utf-8"><title>Authorized apps: ${escapeHtml(site.name)}</title>` +
    `<h1>Apps registered at ${escapeHtml(site.name)}</h1><ul>${apps}</ul>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
