import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { SecretValue } from '#domain';
import {
  createSafeHttpClient,
  createSmartDiscovery,
  deleteClient,
  readClient,
  register,
  requestClientCredentialsToken,
  SmartClientError,
  updateClient,
  isRetryable,
  retryAfterMs,
  type CredentialsChange,
  type RegistrationResult,
  type SafeHttpClient,
} from '#smart-client';
import { startSandbox, type Sandbox, type SiteInfo } from '../apps/sandbox/src/sandbox.js';

/**
 * The smart-client library against the sandbox EHR: real oidc-provider servers with the
 * behaviours of real EHRs (profiles), over real HTTP on 127.0.0.1.
 */

const BACKEND = { client_name: 'Backend app', grant_types: ['client_credentials'], scope: 'system/*.rs' };

let sandbox: Sandbox;
let http: SafeHttpClient;
let site: (name: string) => SiteInfo;

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    sites: [
      { name: 'open', profile: 'open' },
      { name: 'iat', profile: 'iat' },
      { name: 'expiring', profile: 'expiring-secrets', secretTtlSeconds: 1 },
      { name: 'rotating', profile: 'rotating-rat' },
      { name: 'narrowing', profile: 'narrowing-scopes' },
      { name: 'nomgmt', profile: 'no-management' },
      { name: 'legacy', profile: 'metadata-only' },
      { name: 'flaky', profile: 'flaky', flakyRate: 1, retryAfterSeconds: 2 },
      { name: 'slow', profile: 'slow', delayMs: 1500 },
    ],
  });
  http = createSafeHttpClient({
    allowedHosts: [`127.0.0.1:${sandbox.port}`],
    timeoutMs: 5000,
    maxResponseBytes: 1 << 20,
  });
  site = (name) => sandbox.site(name)!;
});

afterAll(() => sandbox.close());

const discovery = () => createSmartDiscovery({ http, defaultTtlSeconds: 60 });

async function failure(promise: Promise<unknown>): Promise<SmartClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof SmartClientError)) throw new Error(`expected a SmartClientError, got ${String(error)}`);
  return error;
}

describe('discovery', () => {
  it('reads smart-configuration and checks the OpenID configuration of its issuer', async () => {
    const info = site('open');
    const description = await discovery().discover(info.fhirBaseUrl);
    expect(description.issuer).toEqual({ value: info.issuer, source: 'smart-configuration' });
    expect(description.endpoints.registration).toEqual({
      value: info.registrationEndpoint,
      source: 'smart-configuration',
    });
    expect(description.endpoints.token?.value).toBe(info.tokenEndpoint);
    expect(description.sources).toEqual(expect.arrayContaining(['smart-configuration', 'openid']));
    expect(description.supported.tokenEndpointAuthMethods?.value).toEqual(
      expect.arrayContaining(['client_secret_basic', 'private_key_jwt']),
    );
    expect(description.registrationSupported).toBe(true);
    expect(description.managementSupported).toBeUndefined();
  });

  it('takes the registration endpoint from the OpenID configuration when smart-configuration omits it', async () => {
    const info = site('open');
    // A SMART front end whose smart-configuration lists no registration_endpoint (common in
    // practice), in front of the sandbox's real authorization server.
    const front: Server = createServer((req, res) => {
      if (req.url !== '/fhir/.well-known/smart-configuration') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: info.issuer,
          token_endpoint: info.tokenEndpoint,
          capabilities: ['client-confidential-asymmetric'],
        }),
      );
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const port = (front.address() as AddressInfo).port;
      const client = createSafeHttpClient({
        allowedHosts: [`127.0.0.1:${sandbox.port}`, `127.0.0.1:${port}`],
        timeoutMs: 5000,
        maxResponseBytes: 1 << 20,
      });
      const description = await createSmartDiscovery({ http: client, defaultTtlSeconds: 60 }).discover(
        `http://127.0.0.1:${port}/fhir`,
      );
      expect(description.endpoints.registration).toEqual({ value: info.registrationEndpoint, source: 'openid' });
      expect(description.endpoints.jwks?.source).toBe('openid');
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  it('falls back to the CapabilityStatement on a metadata-only site', async () => {
    const info = site('legacy');
    const description = await discovery().discover(info.fhirBaseUrl);
    expect(description.sources).toEqual(['capability-statement']);
    expect(description.endpoints.registration).toEqual({
      value: info.registrationEndpoint,
      source: 'capability-statement',
    });
    expect(description.endpoints.token).toEqual({ value: info.tokenEndpoint, source: 'capability-statement' });
    expect(description.issuer).toBeUndefined();
  });

  it('refuses a site the outbound policy does not allow', async () => {
    const strict = createSafeHttpClient({ allowedHosts: [], timeoutMs: 5000, maxResponseBytes: 1 << 20 });
    const error = await failure(
      createSmartDiscovery({ http: strict, defaultTtlSeconds: 60 }).discover(site('open').fhirBaseUrl),
    );
    expect(error).toMatchObject({ error: 'blocked', retryable: false });
  });
});

describe('registration (RFC 7591)', () => {
  it('registers without an initial access token and returns credentials as secrets', async () => {
    const result = await register(http, { registrationEndpoint: site('open').registrationEndpoint, metadata: BACKEND });
    expect(result.httpStatus).toBe(201);
    expect(result.clientId).toEqual(expect.any(String));
    expect(result.clientSecret).toBeInstanceOf(SecretValue);
    expect(result.clientSecretExpiresAt).toBe(0);
    expect(result.management?.registrationClientUri).toContain(result.clientId);
    expect(JSON.stringify(result)).not.toContain(result.clientSecret!.reveal());
    expect(result.granted).toMatchObject({ client_name: 'Backend app', scope: 'system/*.rs' });
  });

  it('needs the right initial access token where the site demands one', async () => {
    const info = site('iat');
    const missing = await failure(
      register(http, { registrationEndpoint: info.registrationEndpoint, metadata: BACKEND }),
    );
    expect(missing).toMatchObject({ error: 'invalid_token', httpStatus: 401, retryable: false });

    const wrong = await failure(
      register(http, {
        registrationEndpoint: info.registrationEndpoint,
        metadata: BACKEND,
        initialAccessToken: new SecretValue('not-the-token-0123456789'),
      }),
    );
    expect(wrong).toMatchObject({ error: 'invalid_token', retryable: false });
    expect(isRetryable(wrong)).toBe(false);
    expect(wrong.message).not.toContain('not-the-token');

    const result = await register(http, {
      registrationEndpoint: info.registrationEndpoint,
      metadata: BACKEND,
      initialAccessToken: new SecretValue(info.initialAccessToken!),
    });
    expect(result.clientId).toEqual(expect.any(String));
  });

  it('reports what a narrowing server changed', async () => {
    const result = await register(http, {
      registrationEndpoint: site('narrowing').registrationEndpoint,
      metadata: {
        ...BACKEND,
        scope: 'system/*.rs system/Patient.cruds',
        token_endpoint_auth_method: 'client_secret_post',
      },
    });
    expect(result.differences).toEqual(
      expect.arrayContaining([
        { field: 'scope', requested: 'system/*.rs system/Patient.cruds', granted: 'system/*.rs', kind: 'narrowed' },
        {
          field: 'token_endpoint_auth_method',
          requested: 'client_secret_post',
          granted: 'client_secret_basic',
          kind: 'replaced',
        },
      ]),
    );
  });

  it('maps invalid metadata to a permanent RFC 7591 error', async () => {
    const error = await failure(
      register(http, {
        registrationEndpoint: site('open').registrationEndpoint,
        metadata: { ...BACKEND, scope: 'not/a-known-scope' },
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client_metadata', httpStatus: 400, retryable: false });
    expect(error.errorDescription).toEqual(expect.any(String));

    const redirect = await failure(
      register(http, {
        registrationEndpoint: site('open').registrationEndpoint,
        metadata: { client_name: 'Web app', redirect_uris: ['not a uri'] },
      }),
    );
    expect(redirect).toMatchObject({ error: 'invalid_redirect_uri', retryable: false });
  });

  it('maps a flaky site to retryable errors with Retry-After', async () => {
    const endpoint = site('flaky').registrationEndpoint;
    const limited = await failure(register(http, { registrationEndpoint: endpoint, metadata: BACKEND }));
    expect(limited).toMatchObject({ httpStatus: 429, retryable: true });
    expect(retryAfterMs(limited)).toBe(2000);
    const unavailable = await failure(register(http, { registrationEndpoint: endpoint, metadata: BACKEND }));
    expect(unavailable).toMatchObject({ httpStatus: 503, error: 'temporarily_unavailable', retryable: true });
  });

  it('maps a timeout to a retryable error whose outcome is unknown (possible orphan)', async () => {
    const impatient = createSafeHttpClient({
      allowedHosts: [`127.0.0.1:${sandbox.port}`],
      timeoutMs: 300,
      maxResponseBytes: 1 << 20,
    });
    const error = await failure(
      register(impatient, { registrationEndpoint: site('slow').registrationEndpoint, metadata: BACKEND }),
    );
    expect(error).toMatchObject({ error: 'timeout', retryable: true, outcomeUnknown: true });
  });

  it('has no RFC 7592 access on a site without management', async () => {
    const result = await register(http, {
      registrationEndpoint: site('nomgmt').registrationEndpoint,
      metadata: BACKEND,
    });
    expect(result.clientId).toEqual(expect.any(String));
    expect(result.management).toBeUndefined();
  });
});

describe('management (RFC 7592)', () => {
  it('follows a token rotated on every read and update, then deletes', async () => {
    const registration = await register(http, {
      registrationEndpoint: site('rotating').registrationEndpoint,
      metadata: BACKEND,
    });
    const firstToken = registration.management!.registrationAccessToken;
    let stored = registration.management!;
    const changes: CredentialsChange[] = [];
    const onCredentialsChanged = (change: CredentialsChange) => {
      changes.push(change);
      stored = { ...stored, registrationAccessToken: change.registrationAccessToken ?? stored.registrationAccessToken };
    };

    const read = await readClient(http, {
      access: stored,
      knownClientSecret: registration.clientSecret,
      onCredentialsChanged,
    });
    expect(read).toMatchObject({ outcome: 'found', clientId: registration.clientId });
    expect(changes).toHaveLength(1);
    expect(Object.keys(changes[0])).toEqual(['registrationAccessToken']);
    expect(stored.registrationAccessToken.equals(firstToken)).toBe(false);

    // The old token died with the rotation.
    const stale = await readClient(http, {
      access: { ...stored, registrationAccessToken: firstToken },
      onCredentialsChanged,
    });
    expect(stale).toEqual({ outcome: 'gone', httpStatus: 401 });

    const updated = await updateClient(http, {
      access: stored,
      knownClientSecret: registration.clientSecret,
      metadata: { ...BACKEND, client_name: 'Renamed app' },
      onCredentialsChanged,
    });
    expect(updated).toMatchObject({
      outcome: 'updated',
      granted: { client_name: 'Renamed app', scope: 'system/*.rs' },
    });
    expect(changes).toHaveLength(3); // the GET inside update, then the PUT
    if (updated.outcome === 'updated')
      expect(updated.access.registrationAccessToken.equals(stored.registrationAccessToken)).toBe(true);

    expect(await deleteClient(http, { access: stored })).toEqual({ outcome: 'deleted' });
    expect(await deleteClient(http, { access: stored })).toEqual({ outcome: 'gone', httpStatus: 401 });
  });

  it('keeps a stable token where the site does not rotate', async () => {
    const registration = await register(http, {
      registrationEndpoint: site('open').registrationEndpoint,
      metadata: BACKEND,
    });
    const changes: CredentialsChange[] = [];
    const read = await readClient(http, {
      access: registration.management!,
      knownClientSecret: registration.clientSecret,
      onCredentialsChanged: (change) => void changes.push(change),
    });
    expect(read.outcome).toBe('found');
    expect(changes).toEqual([]);
  });
});

describe('expiring secrets', () => {
  it('shows the expiry, fails once expired, and an update brings a new secret', async () => {
    const info = site('expiring');
    const registration = await register(http, { registrationEndpoint: info.registrationEndpoint, metadata: BACKEND });
    const now = Math.floor(Date.now() / 1000);
    expect(registration.clientSecretExpiresAt).toBeGreaterThanOrEqual(now);
    expect(registration.clientSecretExpiresAt).toBeLessThanOrEqual(now + 2);

    await new Promise((resolve) => setTimeout(resolve, (registration.clientSecretExpiresAt! + 1) * 1000 - Date.now()));
    const token = (secret: SecretValue) =>
      requestClientCredentialsToken(http, {
        tokenEndpoint: info.tokenEndpoint,
        clientId: registration.clientId,
        auth: { method: 'client_secret_basic', secret },
        scope: 'system/*.rs',
      });
    expect(await failure(token(registration.clientSecret!))).toMatchObject({
      error: 'invalid_client',
      retryable: false,
    });

    const changes: CredentialsChange[] = [];
    await updateClient(http, {
      access: registration.management!,
      knownClientSecret: registration.clientSecret,
      metadata: BACKEND,
      onCredentialsChanged: (change) => void changes.push(change),
    });
    const renewed = changes.find((change) => change.clientSecret);
    expect(renewed?.clientSecretExpiresAt).toBeGreaterThan(registration.clientSecretExpiresAt!);
    const result = await token(renewed!.clientSecret!);
    expect(result.accessToken).toBeInstanceOf(SecretValue);
  });
});

describe('token requests', () => {
  it('gets a token with client_secret_basic', async () => {
    const info = site('open');
    const registration = await register(http, { registrationEndpoint: info.registrationEndpoint, metadata: BACKEND });
    const result = await requestClientCredentialsToken(http, {
      tokenEndpoint: info.tokenEndpoint,
      clientId: registration.clientId,
      auth: { method: 'client_secret_basic', secret: registration.clientSecret! },
      scope: 'system/*.rs',
    });
    expect(result.tokenType).toMatch(/^bearer$/i);
    expect(result.scope).toBe('system/*.rs');
  });

  it.each(['RS384', 'ES384'] as const)('gets a token with private_key_jwt (%s)', async (alg) => {
    const info = site('open');
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `key-${alg}`;
    const registration: RegistrationResult = await register(http, {
      registrationEndpoint: info.registrationEndpoint,
      metadata: {
        ...BACKEND,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: alg,
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] },
      },
    });
    expect(registration.clientSecret).toBeUndefined();
    const result = await requestClientCredentialsToken(http, {
      tokenEndpoint: info.tokenEndpoint,
      clientId: registration.clientId,
      auth: { method: 'private_key_jwt', privateJwk: await exportJWK(privateKey), alg, kid },
      scope: 'system/*.rs',
    });
    expect(result.accessToken.reveal()).toEqual(expect.any(String));
  });

  it('refuses a wrong secret permanently', async () => {
    const info = site('open');
    const registration = await register(http, { registrationEndpoint: info.registrationEndpoint, metadata: BACKEND });
    const error = await failure(
      requestClientCredentialsToken(http, {
        tokenEndpoint: info.tokenEndpoint,
        clientId: registration.clientId,
        auth: { method: 'client_secret_post', secret: new SecretValue('wrong-secret') },
      }),
    );
    expect(error).toMatchObject({ operation: 'token', error: 'invalid_client', retryable: false });
  });
});
