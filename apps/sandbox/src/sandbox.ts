import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendError } from './http-io.js';
import { createSharedProviderKeys } from './oidc-site.js';
import { handleOperatorRequest } from './operator-routes.js';
import type { SiteOptions } from './site-profiles.js';
import { SiteRegistry, type BulkSitesRequest } from './site-registry.js';
import { handleSiteRequest } from './site-routes.js';
import type { SiteInfo } from './site.js';
import { createUdapSandbox, type UdapSandbox } from './udap/udap-server.js';
import { SandboxStateFile } from './sandbox-state-file.js';

export type { SiteInfo } from './site.js';
export { SITE_PROFILES, type SiteOptions, type SiteProfile } from './site-profiles.js';
export type { UdapSandbox, UdapSiteInfo, UdapSiteOptions } from './udap/udap-server.js';

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * The origin written into issuers and discovery documents, when clients reach the sandbox by
   * another name than `http://{host}:{port}` (e.g. a container name). No trailing slash.
   */
  publicUrl?: string;
  sites?: SiteOptions[];
  /**
   * A file that keeps the sites' clients, registration access tokens and initial access tokens
   * across restarts (see SandboxStateFile). Without it everything lives in memory only.
   */
  stateFile?: string;
  /** Where unexpected oidc-provider errors go (default: console.error). */
  onServerError?: (site: string, error: Error) => void;
}

export interface Sandbox {
  /** The sandbox origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Adds a site at run time; throws an `HttpError` (400 invalid options, 409 name taken). */
  addSite(options: SiteOptions): SiteInfo;
  addSites(request: BulkSitesRequest): SiteInfo[];
  site(name: string): SiteInfo | undefined;
  sites(): SiteInfo[];
  /** The UDAP sites under `/udap` and their community PKI. */
  udap: UdapSandbox;
  /** Stops listening, drops open connections and cancels pending `slow` delays. */
  close(): Promise<void>;
}

/** Starts many simulated SMART health systems in this process, behind one HTTP server. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const keys = await createSharedProviderKeys();
  const server = createServer();
  const port = await listen(server, options.port ?? 0, host);
  const url = (options.publicUrl ?? `http://${originHost(host)}:${port}`).replace(/\/$/, '');
  const onServerError =
    options.onServerError ?? ((site: string, error: Error) => console.error(`[sandbox] site ${site}:`, error));
  const stateFile = options.stateFile ? new SandboxStateFile(options.stateFile) : undefined;
  const registry = new SiteRegistry(url, keys, onServerError, stateFile);
  const udap = await createUdapSandbox(url);
  try {
    for (const site of options.sites ?? []) registry.add(site);
  } catch (error) {
    server.close();
    throw error;
  }

  const closing = new AbortController();
  // Every delayed answer of a `slow` site listens on this signal until it is sent: dozens at once
  // is normal, not the leak Node warns about past 10 listeners.
  setMaxListeners(0, closing.signal);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(registry, udap, req, res, closing.signal).catch((error: unknown) => answerError(res, error, closing.signal));
  });

  return {
    url,
    port,
    addSite: (site) => registry.add(site).info(),
    addSites: (request) => registry.addBulk(request).map((site) => site.info()),
    site: (name) => registry.get(name)?.info(),
    sites: () => registry.all().map((site) => site.info()),
    udap,
    close: () => {
      closing.abort();
      stateFile?.flush();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * RFC 8414 §3.1 puts the metadata of issuer `{origin}/sites/x/oidc` at
 * `{origin}/.well-known/oauth-authorization-server/sites/x/oidc`; oidc-provider serves it below the
 * issuer, so such requests are rewritten there.
 */
const RFC8414_ROOT = '/.well-known/oauth-authorization-server';

async function route(
  registry: SiteRegistry,
  udap: UdapSandbox,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
) {
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  let path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rawUrl.slice(queryStart);
  if (path.startsWith(`${RFC8414_ROOT}/sites/`)) {
    path = `${path.slice(RFC8414_ROOT.length)}${RFC8414_ROOT}`;
    req.url = path + query;
  }
  const segments = path.split('/').slice(1).map(decodePathSegment);

  if (segments[0] === 'udap') return udap.handle(req, res, segments.slice(1), new URLSearchParams(query));
  if (segments[0] === 'sandbox') return handleOperatorRequest(registry, req, res, segments.slice(1));
  if (segments[0] === 'sites' && segments[1]) {
    const site = registry.get(segments[1]);
    if (!site) throw new HttpError(404, 'not_found', `no site named ${segments[1]}`);
    const sitePath = path.slice(`/sites/${segments[1]}`.length);
    return handleSiteRequest(site, req, res, sitePath, query, signal);
  }
  throw new HttpError(404, 'not_found', 'see /sandbox/sites for the sites of this sandbox');
}

function answerError(res: ServerResponse, error: unknown, closing: AbortSignal): void {
  if (closing.aborted || res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) return sendError(res, error);
  console.error('[sandbox] unexpected error:', error);
  sendError(res, new HttpError(500, 'server_error', 'unexpected sandbox error'));
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Clients cannot connect to a wildcard address: name loopback in URLs instead. */
function originHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
