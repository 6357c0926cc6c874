import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterPayload } from 'oidc-provider';
import { HttpError, readJson, sendJson } from './http-io.js';
import type { SiteRegistry } from './site-registry.js';
import type { Site } from './site.js';
import { createClientByHand } from './manual-clients.js';

/**
 * The sandbox operator's API (no auth: a local test tool). Tests use it to create sites and to
 * look behind the broker's back: how many clients each site holds, what their metadata is, and to
 * change or delete a client as an EHR administrator would.
 *
 *   GET    /sandbox/sites                          { sites: [SiteInfo + clientCount] }
 *   POST   /sandbox/sites                          SiteOptions -> 201 SiteInfo
 *   POST   /sandbox/sites/bulk                     { count, profile?, prefix? } -> 201 { sites: [SiteInfo] }
 *   GET    /sandbox/sites/{site}                   SiteInfo + clientCount
 *   GET    /sandbox/sites/{site}/clients           { clients: [client metadata, no secret] }
 *   POST   /sandbox/sites/{site}/clients           client metadata -> 201 client with its secret (by hand, as an EHR admin)
 *   GET    /sandbox/sites/{site}/clients/{id}      client metadata, no secret
 *   PATCH  /sandbox/sites/{site}/clients/{id}      JSON merge of metadata (null removes) -> 200 client
 *   DELETE /sandbox/sites/{site}/clients/{id}      204
 */
export async function handleOperatorRequest(
  registry: SiteRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
): Promise<void> {
  const method = req.method ?? 'GET';
  const [collection, siteName, sub, clientId, ...extra] = segments;
  if (collection !== 'sites' || extra.length) throw notFound();

  if (siteName === undefined) {
    if (method === 'GET') return sendJson(res, 200, { sites: registry.all().map(siteSummary) });
    if (method === 'POST') return sendJson(res, 201, registry.add(await readJson(req)).info());
    throw methodNotAllowed();
  }
  if (siteName === 'bulk' && sub === undefined) {
    if (method !== 'POST') throw methodNotAllowed();
    const sites = registry.addBulk(await readJson(req));
    return sendJson(res, 201, { sites: sites.map((site) => site.info()) });
  }

  const site = registry.get(siteName);
  if (!site) throw new HttpError(404, 'not_found', `no site named ${siteName}`);
  if (sub === undefined) {
    if (method !== 'GET') throw methodNotAllowed();
    return sendJson(res, 200, siteSummary(site));
  }
  if (sub !== 'clients') throw notFound();
  if (clientId === undefined) {
    if (method === 'POST') return sendJson(res, 201, await createClientByHand(site, await readJson(req)));
    if (method !== 'GET') throw methodNotAllowed();
    const clients = site.store.clientIds().map((id) => clientView(id, site.store.client(id) ?? {}));
    return sendJson(res, 200, { clients });
  }

  const stored = site.store.client(clientId);
  if (!stored) throw new HttpError(404, 'not_found', `no client ${clientId} at site ${site.name}`);
  switch (method) {
    case 'GET':
      return sendJson(res, 200, clientView(clientId, stored));
    case 'PATCH':
      return sendJson(res, 200, clientView(clientId, await patchClient(site, clientId, stored, await readJson(req))));
    case 'DELETE':
      site.store.deleteClient(clientId);
      res.writeHead(204).end();
      return;
    default:
      throw methodNotAllowed();
  }
}

/**
 * Changes a client the way an EHR administrator would (for drift tests): a JSON merge patch
 * (RFC 7396: `null` removes a member) checked by the site's own client validation.
 */
async function patchClient(
  site: Site,
  clientId: string,
  stored: AdapterPayload,
  patch: unknown,
): Promise<AdapterPayload> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new HttpError(400, 'invalid_request', 'the patch must be a JSON object');
  }
  const merged: AdapterPayload = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (merged.client_id !== clientId) throw new HttpError(400, 'invalid_request', 'client_id cannot change');
  try {
    await site.provider().Client.validate(merged);
  } catch (error) {
    const description = (error as { error_description?: unknown }).error_description;
    if (typeof description !== 'string') throw error;
    throw new HttpError(400, 'invalid_client_metadata', description);
  }
  site.store.replaceClient(clientId, merged);
  return merged;
}

function siteSummary(site: Site): Record<string, unknown> {
  return {
    ...site.info(),
    clientCount: site.store.clientCount(),
    quirks: site.behaviour.quirks,
    concurrentRegistrationsRefused: site.concurrentRegistrationsRefused,
  };
}

/** A client's metadata as the operator sees it: everything but the secret. */
function clientView(clientId: string, metadata: AdapterPayload): AdapterPayload {
  const { client_secret: _secret, ...visible } = metadata;
  return { ...visible, client_id: clientId };
}

const notFound = () => new HttpError(404, 'not_found', 'no such operator endpoint');
const methodNotAllowed = () => new HttpError(405, 'method_not_allowed', 'method not allowed here');
