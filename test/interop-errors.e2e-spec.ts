import { SecretValue } from '#domain';
import { createSafeHttpClient, register, readClient, SmartClientError } from '#smart-client';
import { startSandbox, type Sandbox } from '../apps/sandbox/src/sandbox.js';
import { backendMetadata, LifecycleDriver } from './support/lifecycle-driver.js';

/**
 * What a site says only through errors, and errors that say nothing: a requirement the tenant
 * must meet (redirect_uris for every client) becomes an instruction; bare 401/403 answers become
 * words with their status; a site that creates the client and answers 500 is an unknown outcome.
 */

describe('errors from sites, in words', () => {
  let sandbox: Sandbox;
  const http = createSafeHttpClient({ allowedHosts: ['127.0.0.1'], timeoutMs: 5000, maxResponseBytes: 1 << 20 });

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      sites: [
        { name: 'bare-iat', profile: 'iat', quirks: { bareAuthErrors: true } },
        { name: 'bare', profile: 'open', quirks: { bareAuthErrors: true, registrationStatus200: true } },
        { name: 'crash-after-create', profile: 'open', quirks: { serverErrorAfterCreate: 1 } },
      ],
    });
  });
  afterAll(() => sandbox.close());

  it('says the site refused the initial access token, keeping the status, when the answer is a bare 401', async () => {
    const error = await register(http, {
      registrationEndpoint: sandbox.site('bare-iat')!.registrationEndpoint,
      metadata: backendMetadata('x'),
      initialAccessToken: new SecretValue('not-the-right-token-at-all'),
    }).catch((e: unknown) => e as SmartClientError);
    expect(error).toBeInstanceOf(SmartClientError);
    expect(error).toMatchObject({ httpStatus: 401, retryable: false });
    expect((error as SmartClientError).errorDescription).toMatch(/refused the initial access token/);
  });

  it('accepts 200 for 201, and says a bare 401 on RFC 7592 refused the registration access token (gone)', async () => {
    const registration = await register(http, {
      registrationEndpoint: sandbox.site('bare')!.registrationEndpoint,
      metadata: backendMetadata('y'),
    });
    expect(registration.httpStatus).toBe(200);
    const read = await readClient(http, {
      access: { ...registration.management!, registrationAccessToken: new SecretValue('wrong') },
      onCredentialsChanged: () => undefined,
    });
    expect(read).toEqual({ outcome: 'gone', httpStatus: 401 });
  });

  it('classifies a 500 after the site created the client as an unknown outcome (the client exists)', async () => {
    const error = await register(http, {
      registrationEndpoint: sandbox.site('crash-after-create')!.registrationEndpoint,
      metadata: backendMetadata('z'),
    }).catch((e: unknown) => e as SmartClientError);
    expect(error).toMatchObject({ httpStatus: 500, retryable: true, outcomeUnknown: true });
    const clients = await fetch(`${sandbox.url}/sandbox/sites/crash-after-create/clients`).then((r) => r.json());
    expect((clients as { clients: unknown[] }).clients).toHaveLength(1);
  });
});

describe('a site that requires redirect_uris for client_credentials clients', () => {
  let driver: LifecycleDriver;
  afterAll(async () => {
    await driver?.close();
  });

  it("tells the tenant exactly what to add, in the registration's error", async () => {
    driver = await LifecycleDriver.start();
    await driver.createApp(backendMetadata('Needs redirect'));
    const name = `needs-redirect-${Math.random().toString(36).slice(2, 7)}`;
    const row = (
      await driver.onboard([{ name, profile: 'open', quirks: { requireRedirectUris: true } }], `redirect-${name}`)
    ).get(name)!;
    expect(row.state).toBe('failed');
    expect(row.lastError).toMatchObject({ error: 'invalid_redirect_uri', httpStatus: 400, retryable: false });
    expect(row.lastError.error_description).toMatch(/add "redirect_uris".*clientMetadata/);
    expect(await driver.clientsAt(name)).toEqual([]);
  }, 90_000);
});
