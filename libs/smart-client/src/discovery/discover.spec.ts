import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSafeHttpClient } from '../http/safe-http.js';
import { InMemoryDiscoveryCache, withDiscoveryCache } from './cache.js';
import { authorizationServerMetadataUrl, createSmartDiscovery, openidConfigurationUrl } from './discover.js';

type Route = (req: IncomingMessage, res: ServerResponse, origin: string) => void;

let server: Server;
let origin: string;
let routes: Record<string, Route>;
const hits: string[] = [];

const json =
  (body: (origin: string) => unknown, headers: Record<string, string> = {}): Route =>
  (_req, res, at) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body(at)));
  };

const smartConfiguration = (at: string) => ({
  issuer: `${at}/oidc`,
  token_endpoint: `${at}/oidc/token`,
  registration_endpoint: `${at}/oidc/reg`,
  capabilities: ['client-confidential-symmetric'],
});

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res, origin);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  hits.length = 0;
  routes = {};
});

const http = () => createSafeHttpClient({ allowedHosts: ['127.0.0.1'], timeoutMs: 2000, maxResponseBytes: 1 << 20 });
const discovery = () => createSmartDiscovery({ http: http(), defaultTtlSeconds: 300, maxDocumentBytes: 4096 });

describe('well-known URLs', () => {
  it('builds the OIDC and RFC 8414 locations from an issuer with a path', () => {
    expect(openidConfigurationUrl('https://a.example/t/1/')).toBe(
      'https://a.example/t/1/.well-known/openid-configuration',
    );
    expect(authorizationServerMetadataUrl('https://a.example/t/1')).toBe(
      'https://a.example/.well-known/oauth-authorization-server/t/1',
    );
    expect(authorizationServerMetadataUrl('https://a.example')).toBe(
      'https://a.example/.well-known/oauth-authorization-server',
    );
  });
});

describe('createSmartDiscovery', () => {
  it('fetches smart-configuration, then the OIDC and RFC 8414 documents of its issuer, and skips /metadata', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json(smartConfiguration);
    routes['/oidc/.well-known/openid-configuration'] = json((at) => ({
      issuer: `${at}/oidc`,
      jwks_uri: `${at}/oidc/jwks`,
    }));
    const description = await discovery().discover(`${origin}/fhir/`);
    expect(description.fhirBaseUrl).toBe(`${origin}/fhir`);
    expect(description.endpoints.jwks).toEqual({ value: `${origin}/oidc/jwks`, source: 'openid' });
    expect(description.sources).toEqual(['smart-configuration', 'openid']);
    expect(hits.sort()).toEqual([
      '/.well-known/oauth-authorization-server/oidc',
      '/fhir/.well-known/smart-configuration',
      '/oidc/.well-known/openid-configuration',
    ]);
    expect(Date.parse(description.expiresAt) - Date.parse(description.fetchedAt)).toBe(300_000);
  });

  it('falls back to the CapabilityStatement', async () => {
    routes['/fhir/metadata'] = json((at) => ({
      resourceType: 'CapabilityStatement',
      rest: [
        {
          security: {
            extension: [
              {
                url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                extension: [
                  { url: 'token', valueUri: `${at}/token` },
                  { url: 'register', valueUri: `${at}/register` },
                ],
              },
            ],
          },
        },
      ],
    }));
    const description = await discovery().discover(`${origin}/fhir`);
    expect(description.endpoints.registration).toEqual({ value: `${origin}/register`, source: 'capability-statement' });
    expect(description.registrationSupported).toBe(true);
  });

  it('rejects a document that breaks its schema, naming the field', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json((at) => ({
      ...smartConfiguration(at),
      capabilities: 'all',
    }));
    await expect(discovery().discover(`${origin}/fhir`)).rejects.toMatchObject({
      error: 'invalid_discovery_document',
      errorDescription: expect.stringMatching(/smart-configuration .* is invalid: capabilities: /),
    });
  });

  it('rejects an oversized document', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json((at) => ({
      ...smartConfiguration(at),
      pad: 'x'.repeat(5000),
    }));
    await expect(discovery().discover(`${origin}/fhir`)).rejects.toMatchObject({
      error: 'too_large',
      retryable: false,
    });
  });

  it('fails as retryable when a document is temporarily unavailable', async () => {
    routes['/fhir/.well-known/smart-configuration'] = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end();
    await expect(discovery().discover(`${origin}/fhir`)).rejects.toMatchObject({ retryable: true, retryAfterMs: 7000 });
  });

  it('says so when there is nothing to discover', async () => {
    await expect(discovery().discover(`${origin}/fhir`)).rejects.toMatchObject({
      error: 'no_discovery_document',
      retryable: false,
    });
  });
});

describe('withDiscoveryCache', () => {
  it('honours max-age and shares one run between concurrent callers', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json(smartConfiguration, { 'cache-control': 'max-age=60' });
    let now = Date.now();
    const cached = withDiscoveryCache(discovery(), new InMemoryDiscoveryCache(() => now), () => now);
    const [first, second] = await Promise.all([cached.discover(`${origin}/fhir`), cached.discover(`${origin}/fhir/`)]);
    expect(second).toBe(first);
    expect(Date.parse(first.expiresAt) - Date.parse(first.fetchedAt)).toBe(60_000);
    await cached.discover(`${origin}/fhir`);
    const smartHits = () => hits.filter((hit) => hit.endsWith('smart-configuration')).length;
    expect(smartHits()).toBe(1);
    now += 61_000;
    await cached.discover(`${origin}/fhir`);
    expect(smartHits()).toBe(2);
  });

  it('serves a description the caller holds while it is fresh and for the same site, else looks again', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json(smartConfiguration, { 'cache-control': 'max-age=60' });
    routes['/other/.well-known/smart-configuration'] = json(smartConfiguration, { 'cache-control': 'max-age=60' });
    let now = Date.now();
    const store = new InMemoryDiscoveryCache(() => now);
    const lookups = jest.spyOn(store, 'get');
    const cached = withDiscoveryCache(discovery(), store, () => now);
    const held = await cached.discover(`${origin}/fhir`);
    const smartHits = () => hits.filter((hit) => hit.endsWith('smart-configuration')).length;
    lookups.mockClear();

    expect(await cached.discover(`${origin}/fhir/`, held)).toBe(held);
    expect(lookups).not.toHaveBeenCalled();
    // Another site's description is not served for this one.
    const other = await cached.discover(`${origin}/other`, held);
    expect(other.fhirBaseUrl).toBe(`${origin}/other`);
    // Expired: the held copy is ignored and the site is asked again.
    now += 61_000;
    const fresh = await cached.discover(`${origin}/fhir`, held);
    expect(fresh).not.toBe(held);
    expect(smartHits()).toBe(3);
  });

  it('does not keep a no-store description', async () => {
    routes['/fhir/.well-known/smart-configuration'] = json(smartConfiguration, { 'cache-control': 'no-store' });
    const cached = withDiscoveryCache(discovery(), new InMemoryDiscoveryCache());
    await cached.discover(`${origin}/fhir`);
    await cached.discover(`${origin}/fhir`);
    expect(hits.filter((hit) => hit.endsWith('smart-configuration'))).toHaveLength(2);
  });
});
