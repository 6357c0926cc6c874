import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSandboxConfig } from '#config';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startSandbox, type Sandbox, type SiteInfo } from '../apps/sandbox/src/sandbox.js';

/**
 * The sandbox EHR simulator over real HTTP: one in-process sandbox on a random port, one site
 * per profile, exercised with the requests the broker sends (RFC 7591 / RFC 7592 / token endpoint).
 */

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const BACKEND_CLIENT = { client_name: 'Backend app', grant_types: ['client_credentials'], scope: 'system/*.rs' };

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const isJson = /json/.test(response.headers.get('content-type') ?? '');
  const body = isJson ? ((await response.json()) as Json) : { text: await response.text() };
  return { status: response.status, headers: response.headers, body };
}

function json(method: string, body: unknown, token?: string): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  };
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

function register(site: SiteInfo, metadata: Json = BACKEND_CLIENT, token?: string): Promise<Answer> {
  return call(site.registrationEndpoint, json('POST', metadata, token));
}

async function registered(site: SiteInfo, metadata: Json = BACKEND_CLIENT, token?: string): Promise<Json> {
  const answer = await register(site, metadata, token);
  expect(answer.status).toBe(201);
  return answer.body;
}

/** The RFC 7592 PUT body: the current metadata without the fields RFC 7592 §2.2 forbids. */
function updateBody(current: Json, changes: Json): Json {
  const {
    registration_access_token: _rat,
    registration_client_uri: _uri,
    client_secret_expires_at: _expiresAt,
    client_id_issued_at: _issuedAt,
    ...metadata
  } = current;
  return { ...metadata, ...changes };
}

function clientCredentials(site: SiteInfo, params: Record<string, string>, init: RequestInit = {}): Promise<Answer> {
  return call(site.tokenEndpoint, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
}

const basic = (clientId: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
});

async function clientAssertion(clientId: string, audience: string, key: CryptoKey, alg: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: 'key-1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(key);
}

async function keyPair(alg: 'ES384' | 'RS384'): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'key-1', alg, use: 'sig' } };
}

async function privateKeyJwtToken(site: SiteInfo, clientId: string, key: CryptoKey, alg: string): Promise<Answer> {
  return clientCredentials(site, {
    scope: 'system/*.rs',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(clientId, site.tokenEndpoint, key, alg),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sandbox EHR simulator', () => {
  let sandbox: Sandbox;
  let site: Record<string, SiteInfo>;

  const operator = (path: string, init?: RequestInit) => call(`${sandbox.url}/sandbox${path}`, init);
  const clientCount = async (name: string) => (await operator(`/sites/${name}`)).body.clientCount as number;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      sites: [
        { name: 'open-1', profile: 'open' },
        { name: 'iat-1', profile: 'iat', initialAccessToken: 'test-initial-access-token-0123456789' },
        { name: 'expiring-1', profile: 'expiring-secrets', secretTtlSeconds: 4 },
        { name: 'rotating-1', profile: 'rotating-rat' },
        { name: 'narrowing-1', profile: 'narrowing-scopes', allowedScopes: ['system/*.rs', 'openid'] },
        { name: 'no-management-1', profile: 'no-management' },
        { name: 'metadata-only-1', profile: 'metadata-only' },
        { name: 'flaky-1', profile: 'flaky', flakyRate: 1, retryAfterSeconds: 2 },
        { name: 'flaky-half', profile: 'flaky', flakyRate: 0.5 },
        { name: 'slow-1', profile: 'slow', delayMs: 200 },
      ],
    });
    site = Object.fromEntries(sandbox.sites().map((info) => [info.name, info]));
  });

  afterAll(() => sandbox.close());

  it('listens on a random loopback port and names the site URLs under its origin', () => {
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    expect(site['open-1']).toEqual({
      name: 'open-1',
      profile: 'open',
      fhirBaseUrl: `${sandbox.url}/sites/open-1/fhir`,
      issuer: `${sandbox.url}/sites/open-1/oidc`,
      registrationEndpoint: `${sandbox.url}/sites/open-1/oidc/reg`,
      tokenEndpoint: `${sandbox.url}/sites/open-1/oidc/token`,
    });
    expect(site['iat-1'].initialAccessToken).toBe('test-initial-access-token-0123456789');
  });

  describe('discovery', () => {
    it('serves a CapabilityStatement with the SMART oauth-uris on every site', async () => {
      for (const info of Object.values(site)) {
        const answer = await call(`${info.fhirBaseUrl}/metadata`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
        expect(answer.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
        const security = (answer.body.rest as Json[])[0].security as Json;
        const service = (security.service as { coding: Json[] }[])[0].coding[0];
        expect(service.code).toBe('SMART-on-FHIR');
        const oauthUris = (security.extension as Json[]).find((extension) => extension.url === OAUTH_URIS);
        expect(oauthUris).toBeDefined();
        const uris = Object.fromEntries(
          ((oauthUris as Json).extension as Json[]).map((extension) => [extension.url, extension.valueUri]),
        );
        expect(uris).toEqual({
          authorize: `${info.issuer}/auth`,
          token: info.tokenEndpoint,
          register: info.registrationEndpoint,
          manage: `${sandbox.url}/sites/${info.name}/manage`,
        });
      }
    });

    it('serves a SMART configuration that agrees with the OIDC discovery of its oidc-provider', async () => {
      const info = site['open-1'];
      const smart = await call(`${info.fhirBaseUrl}/.well-known/smart-configuration`);
      expect(smart.status).toBe(200);
      expect(smart.body).toMatchObject({
        issuer: info.issuer,
        token_endpoint: info.tokenEndpoint,
        registration_endpoint: info.registrationEndpoint,
        jwks_uri: `${info.issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      });
      expect(smart.body.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
      );
      expect(smart.body.capabilities).toEqual(
        expect.arrayContaining(['client-confidential-asymmetric', 'sso-openid-connect', 'permission-v2']),
      );

      const oidc = await call(`${info.issuer}/.well-known/openid-configuration`);
      expect(oidc.status).toBe(200);
      expect(oidc.body).toMatchObject({
        issuer: info.issuer,
        token_endpoint: info.tokenEndpoint,
        registration_endpoint: info.registrationEndpoint,
        jwks_uri: `${info.issuer}/jwks`,
      });
      expect(oidc.body.token_endpoint_auth_signing_alg_values_supported).toEqual(
        expect.arrayContaining(['RS384', 'ES384']),
      );
      expect(oidc.body.scopes_supported).toEqual(expect.arrayContaining(['system/*.rs', 'patient/*.rs', 'launch']));

      const rfc8414 = await call(`${sandbox.url}/.well-known/oauth-authorization-server/sites/open-1/oidc`);
      expect(rfc8414.status).toBe(200);
      expect(rfc8414.body).toMatchObject({ issuer: info.issuer, registration_endpoint: info.registrationEndpoint });
    });

    it('hides every .well-known document of a metadata-only site', async () => {
      const info = site['metadata-only-1'];
      expect((await call(`${info.fhirBaseUrl}/.well-known/smart-configuration`)).status).toBe(404);
      expect((await call(`${info.issuer}/.well-known/openid-configuration`)).status).toBe(404);
      expect((await call(`${info.issuer}/.well-known/oauth-authorization-server`)).status).toBe(404);
      expect((await call(`${sandbox.url}/.well-known/oauth-authorization-server/sites/${info.name}/oidc`)).status).toBe(
        404,
      );
      expect((await register(info)).status).toBe(201);
    });

    it('answers 404 for unknown sites and paths', async () => {
      expect((await call(`${sandbox.url}/sites/nowhere/fhir/metadata`)).status).toBe(404);
      expect((await call(`${site['open-1'].fhirBaseUrl}/Patient`)).status).toBe(404);
    });
  });

  describe('RFC 7591 registration and RFC 7592 management (open)', () => {
    it('registers without a token and reads, updates and deletes the client', async () => {
      const info = site['open-1'];
      const before = await clientCount('open-1');
      const created = await registered(info, { ...BACKEND_CLIENT, software_id: 'app-1', software_version: '1.2.0' });
      expect(created).toMatchObject({
        client_name: 'Backend app',
        grant_types: ['client_credentials'],
        response_types: [],
        scope: 'system/*.rs',
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret_expires_at: 0,
        software_id: 'app-1',
        software_version: '1.2.0',
        registration_client_uri: `${info.registrationEndpoint}/${created.client_id as string}`,
      });
      expect(typeof created.client_secret).toBe('string');
      expect(typeof created.registration_access_token).toBe('string');
      expect(await clientCount('open-1')).toBe(before + 1);

      const uri = created.registration_client_uri as string;
      const rat = created.registration_access_token as string;
      const read = await call(uri, bearer(rat));
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ client_id: created.client_id, client_secret: created.client_secret });
      expect(read.body.registration_access_token).toBe(rat);

      const updated = await call(uri, json('PUT', updateBody(read.body, { client_name: 'Renamed app' }), rat));
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ client_name: 'Renamed app', client_secret: created.client_secret });
      expect(updated.body.registration_access_token).toBe(rat);

      expect((await call(uri, { method: 'DELETE', ...bearer(rat) })).status).toBe(204);
      expect((await call(uri, bearer(rat))).status).toBe(401);
      expect(await clientCount('open-1')).toBe(before);
    });

    it('rejects invalid metadata with invalid_client_metadata and creates nothing', async () => {
      const before = await clientCount('open-1');
      const answer = await register(site['open-1'], { ...BACKEND_CLIENT, scope: 'no-such-scope' });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_client_metadata');
      expect(await clientCount('open-1')).toBe(before);
    });

    it('rejects a management call with a wrong registration access token', async () => {
      const created = await registered(site['open-1']);
      const answer = await call(created.registration_client_uri as string, bearer('not-the-token'));
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_token');
    });
  });

  describe('initial access token (iat)', () => {
    it('refuses registration without the token or with a wrong one', async () => {
      const info = site['iat-1'];
      for (const token of [undefined, 'wrong-token']) {
        const answer = await register(info, BACKEND_CLIENT, token);
        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe('invalid_token');
      }
      expect(await clientCount('iat-1')).toBe(0);
    });

    it('registers with the token and exposes it to the operator', async () => {
      const info = site['iat-1'];
      const created = await registered(info, BACKEND_CLIENT, info.initialAccessToken);
      expect(created.registration_access_token).toEqual(expect.any(String));
      const listed = await operator('/sites');
      const iatSite = (listed.body.sites as Json[]).find((entry) => entry.name === 'iat-1');
      expect(iatSite).toMatchObject({ initialAccessToken: info.initialAccessToken, clientCount: 1 });
    });
  });

  describe('rotating registration access token (rotating-rat)', () => {
    it('issues a new token on every GET and PUT and revokes the one used', async () => {
      const created = await registered(site['rotating-1']);
      const uri = created.registration_client_uri as string;
      const first = created.registration_access_token as string;

      const read = await call(uri, bearer(first));
      expect(read.status).toBe(200);
      const second = read.body.registration_access_token as string;
      expect(second).not.toBe(first);
      expect((await call(uri, bearer(first))).status).toBe(401);

      const updated = await call(uri, json('PUT', updateBody(read.body, { client_name: 'Rotated' }), second));
      expect(updated.status).toBe(200);
      const third = updated.body.registration_access_token as string;
      expect(third).not.toBe(second);
      expect((await call(uri, bearer(second))).status).toBe(401);
      expect((await call(uri, bearer(third))).body.client_name).toBe('Rotated');
    });
  });

  describe('narrowing scopes (narrowing-scopes)', () => {
    it('grants only the allowed scopes and replaces client_secret_post by client_secret_basic', async () => {
      const created = await registered(site['narrowing-1'], {
        ...BACKEND_CLIENT,
        scope: 'system/*.rs system/*.cruds openid',
        token_endpoint_auth_method: 'client_secret_post',
      });
      expect(created.scope).toBe('system/*.rs openid');
      expect(created.token_endpoint_auth_method).toBe('client_secret_basic');
    });

    it('rejects a registration asking only for scopes it does not allow', async () => {
      const answer = await register(site['narrowing-1'], { ...BACKEND_CLIENT, scope: 'system/*.cruds' });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_client_metadata');
    });
  });

  describe('expiring client secrets (expiring-secrets)', () => {
    it('rejects an expired secret at the token endpoint and issues a new one on update', async () => {
      const info = site['expiring-1'];
      const registeredAt = Math.floor(Date.now() / 1000);
      const created = await registered(info);
      const clientId = created.client_id as string;
      const firstSecret = created.client_secret as string;
      // 4 s: long enough for the renewed secret to be used on a loaded machine, short enough to wait out.
      expect(created.client_secret_expires_at).toBeGreaterThanOrEqual(registeredAt + 4);
      expect(created.client_secret_expires_at).toBeLessThanOrEqual(registeredAt + 5);

      await sleep((created.client_secret_expires_at as number) * 1000 - Date.now() + 1100);
      const expired = await clientCredentials(
        info,
        { scope: 'system/*.rs' },
        { headers: basic(clientId, firstSecret) },
      );
      // oidc-provider answers an expired secret with 400 (a wrong one with 401), both `invalid_client`.
      expect(expired.status).toBe(400);
      expect(expired.body.error).toBe('invalid_client');

      const rat = created.registration_access_token as string;
      const updated = await call(created.registration_client_uri as string, json('PUT', updateBody(created, {}), rat));
      expect(updated.status).toBe(200);
      const secondSecret = updated.body.client_secret as string;
      expect(secondSecret).toEqual(expect.any(String));
      expect(secondSecret).not.toBe(firstSecret);
      expect(updated.body.client_secret_expires_at).toBeGreaterThan(created.client_secret_expires_at as number);

      const renewed = await clientCredentials(
        info,
        { scope: 'system/*.rs' },
        { headers: basic(clientId, secondSecret) },
      );
      expect(renewed.status).toBe(200);
      expect(renewed.body.access_token).toEqual(expect.any(String));
      // It waits 4.1-5.1 s for the secret to expire: Jest's default 5 s limit failed it at random.
    }, 20_000);
  });

  describe('RFC 7591 only (no-management)', () => {
    it('returns no registration access token or client URI and offers no management', async () => {
      const info = site['no-management-1'];
      const created = await registered(info);
      expect(created.client_id).toEqual(expect.any(String));
      expect(created).not.toHaveProperty('registration_access_token');
      expect(created).not.toHaveProperty('registration_client_uri');
      const uri = `${info.registrationEndpoint}/${created.client_id as string}`;
      expect((await call(uri, json('PUT', updateBody(created, {}), 'any-token'))).status).toBeGreaterThanOrEqual(400);
      expect((await call(uri, { method: 'DELETE', ...bearer('any-token') })).status).toBeGreaterThanOrEqual(400);
      expect(await clientCount('no-management-1')).toBe(1);
    });
  });

  describe('unreliable sites (flaky, slow)', () => {
    it('answers 429 with Retry-After, then 503, and creates no client', async () => {
      const info = site['flaky-1'];
      const first = await register(info);
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('2');
      expect(first.body.error).toBe('too_many_requests');
      const second = await register(info);
      expect(second.status).toBe(503);
      expect(await clientCount('flaky-1')).toBe(0);
    });

    it('fails exactly the configured share of registrations', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) statuses.push((await register(site['flaky-half'])).status);
      expect(statuses).toEqual([429, 201, 503, 201, 429, 201]);
      expect(await clientCount('flaky-half')).toBe(3);
    });

    it('still answers correctly when slow', async () => {
      const info = site['slow-1'];
      expect((await call(`${info.fhirBaseUrl}/.well-known/smart-configuration`)).body.issuer).toBe(info.issuer);
      expect((await register(info)).status).toBe(201);
    });
  });

  describe('token endpoint (client_credentials)', () => {
    it('issues a token with client_secret_basic and client_secret_post', async () => {
      const info = site['open-1'];
      const basicClient = await registered(info);
      const viaBasic = await clientCredentials(
        info,
        { scope: 'system/*.rs' },
        { headers: basic(basicClient.client_id as string, basicClient.client_secret as string) },
      );
      expect(viaBasic.status).toBe(200);
      expect(viaBasic.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.rs' });

      const postClient = await registered(info, {
        ...BACKEND_CLIENT,
        token_endpoint_auth_method: 'client_secret_post',
      });
      const viaPost = await clientCredentials(info, {
        scope: 'system/*.rs',
        client_id: postClient.client_id as string,
        client_secret: postClient.client_secret as string,
      });
      expect(viaPost.status).toBe(200);
      expect(viaPost.body.access_token).toEqual(expect.any(String));

      const wrong = await clientCredentials(info, {}, { headers: basic(basicClient.client_id as string, 'wrong') });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
    });

    it.each(['ES384', 'RS384'] as const)('issues a token for a private_key_jwt client signing with %s', async (alg) => {
      const info = site['open-1'];
      const { privateKey, publicJwk } = await keyPair(alg);
      const created = await registered(info, {
        ...BACKEND_CLIENT,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: alg,
        jwks: { keys: [publicJwk] },
      });
      expect(created).not.toHaveProperty('client_secret');

      const answer = await privateKeyJwtToken(info, created.client_id as string, privateKey, alg);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.rs' });

      const other = await keyPair(alg);
      const forged = await privateKeyJwtToken(info, created.client_id as string, other.privateKey, alg);
      expect(forged.status).toBe(401);
    });

    it('fetches a jwks_uri served on loopback', async () => {
      const { privateKey, publicJwk } = await keyPair('ES384');
      const jwksServer: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      try {
        const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
        const info = site['open-1'];
        const created = await registered(info, {
          ...BACKEND_CLIENT,
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: jwksUri,
        });
        const answer = await privateKeyJwtToken(info, created.client_id as string, privateKey, 'ES384');
        expect(answer.status).toBe(200);
      } finally {
        await new Promise((resolve) => jwksServer.close(resolve));
      }
    });
  });

  describe('operator endpoints', () => {
    it('creates sites at run time, one at a time and in bulk, and refuses duplicates', async () => {
      const created = await operator('/sites', json('POST', { name: 'runtime-1', profile: 'iat' }));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'runtime-1',
        profile: 'iat',
        fhirBaseUrl: `${sandbox.url}/sites/runtime-1/fhir`,
        initialAccessToken: expect.any(String),
      });
      expect((await operator('/sites', json('POST', { name: 'runtime-1', profile: 'open' }))).status).toBe(409);
      expect((await operator('/sites', json('POST', { name: 'bad name', profile: 'open' }))).status).toBe(400);
      expect((await operator('/sites', json('POST', { name: 'x', profile: 'nope' }))).status).toBe(400);

      const bulk = await operator('/sites/bulk', json('POST', { count: 50, profile: 'open', prefix: 'bench' }));
      expect(bulk.status).toBe(201);
      const sites = bulk.body.sites as Json[];
      expect(sites).toHaveLength(50);
      expect(sites[49].name).toBe('bench-50');
      const bench = sandbox.site('bench-50') as SiteInfo;
      expect((await register(bench)).status).toBe(201);
      expect(await clientCount('bench-50')).toBe(1);
      expect(await clientCount('bench-49')).toBe(0);
      expect((await operator('/sites/bulk', json('POST', { count: 2, prefix: 'bench' }))).status).toBe(409);
    });

    it('lists clients without secrets, and changes and deletes them behind the client’s back', async () => {
      await operator('/sites', json('POST', { name: 'drift-1', profile: 'open' }));
      const info = sandbox.site('drift-1') as SiteInfo;
      const created = await registered(info);
      const clientId = created.client_id as string;

      const listed = await operator('/sites/drift-1/clients');
      expect(listed.body.clients).toEqual([
        expect.objectContaining({ client_id: clientId, client_name: 'Backend app' }),
      ]);
      expect(listed.body.clients).toEqual([expect.not.objectContaining({ client_secret: expect.anything() })]);

      const patched = await operator(`/sites/drift-1/clients/${clientId}`, json('PATCH', { client_name: 'Changed' }));
      expect(patched.status).toBe(200);
      const uri = created.registration_client_uri as string;
      const rat = created.registration_access_token as string;
      expect((await call(uri, bearer(rat))).body.client_name).toBe('Changed');

      const invalid = await operator(`/sites/drift-1/clients/${clientId}`, json('PATCH', { scope: 'no-such-scope' }));
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toBe('invalid_client_metadata');

      expect((await operator(`/sites/drift-1/clients/${clientId}`, { method: 'DELETE' })).status).toBe(204);
      expect((await call(uri, bearer(rat))).status).toBe(401);
      expect(await clientCount('drift-1')).toBe(0);
      expect((await operator(`/sites/drift-1/clients/${clientId}`, { method: 'DELETE' })).status).toBe(404);
    });
  });
});

describe('loadSandboxConfig', () => {
  it('defaults to 127.0.0.1:4000 with no extra sites', () => {
    expect(loadSandboxConfig({})).toEqual({ port: 4000, host: '127.0.0.1', publicUrl: undefined, extraOpenSites: 0 });
  });

  it('reads the environment and rejects wrong values', () => {
    expect(
      loadSandboxConfig({ SANDBOX_PORT: '0', SANDBOX_SITES: '1000', SANDBOX_PUBLIC_URL: 'http://sandbox:4000/' }),
    ).toMatchObject({ port: 0, extraOpenSites: 1000, publicUrl: 'http://sandbox:4000' });
    expect(() => loadSandboxConfig({ SANDBOX_PORT: 'http' })).toThrow(/SANDBOX_PORT/);
  });
});
