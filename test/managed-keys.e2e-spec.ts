import { importJWK } from 'jose';
import { createSafeHttpClient, requestClientCredentialsToken } from '#smart-client';
import { validAppBody } from './support/api-harness.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';

describe('broker-managed private_key_jwt keys', () => {
  let broker: BrokerHarness;

  beforeAll(async () => {
    // Short rotation phases for the test: published 62 s before signing (node-oidc-provider, the
    // sandbox's server, caches a client's JWKS for at least 60 s whatever Cache-Control says), and
    // the old key kept 2 s after.
    broker = await startBroker({ SIGNING_KEY_PUBLISH_SECONDS: '62', SIGNING_KEY_RETENTION_SECONDS: '2' });
  });
  afterAll(() => broker?.close());

  it('registers with its published jwks_uri, and the key it hands out gets a token (SMART backend services)', async () => {
    const run = Date.now().toString(36);
    const siteIds = await broker.addSites([{ name: `keys-${run}`, profile: 'open' }]);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Backend',
        keyManagement: 'managed',
        signingAlg: 'RS384',
        clientMetadata: {
          client_name: 'Backend',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          scope: 'system/*.rs',
        },
      })
      .expect(201);

    const jwks = await broker.api.http().get(`/v1/public/apps/${app.body.id}/jwks.json`).expect(200);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS384', use: 'sig' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    await importJWK(jwks.body.keys[0], 'RS384');

    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `keys-${run}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    expect((await waitForOnboarding(broker.api, auth, accepted.body.id)).counts).toEqual({ registered: 1 });
    const [registration] = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
    expect(detail.body.grantedMetadata.jwks_uri).toBe(
      `${broker.api.config.api.publicBaseUrl}/v1/public/apps/${app.body.id}/jwks.json`,
    );

    const credentials = await broker.api
      .http()
      .get(`/v1/registrations/${registration!.id}/credentials`)
      .set(auth)
      .expect(200);
    expect(credentials.body.signingKey).toMatchObject({ kid: jwks.body.keys[0].kid, alg: 'RS384' });
    /** A client_credentials token request signed with a key the credential endpoint handed out. */
    const tokenSignedWith = (signingKey: { kid: string; privateJwk: Record<string, unknown> }) =>
      requestClientCredentialsToken(
        createSafeHttpClient({
          allowedHosts: broker.api.config.outbound.allowedHosts,
          timeoutMs: 10_000,
          maxResponseBytes: 1e6,
        }),
        {
          tokenEndpoint: credentials.body.tokenEndpoint,
          clientId: credentials.body.clientId,
          auth: { method: 'private_key_jwt', alg: 'RS384', kid: signingKey.kid, privateJwk: signingKey.privateJwk },
          scope: 'system/*.rs',
        },
      );
    const token = await tokenSignedWith(credentials.body.signingKey);
    expect(token.accessToken.reveal()).toEqual(expect.any(String));
    expect(broker.api.logs.text).not.toContain(credentials.body.signingKey.privateJwk.d);

    // Verification proves the managed key works with a real token request ("usable").
    await broker.api.http().post(`/v1/registrations/${registration!.id}/verify`).set(auth).expect(202);
    let verified: Array<{ action: string; details: { usable?: string } }> = [];
    for (let i = 0; i < 100 && !verified.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const audit = await broker.api.http().get('/v1/audit-events').set(auth).expect(200);
      verified = audit.body.items.filter((e: { action: string }) => e.action === 'registration.verified');
    }
    expect(verified[0]?.details.usable).toBe('usable');

    // Rotation: the new key is published first, signs after the publish delay, and the old one
    // leaves the set after the retention time. The site gives tokens throughout.
    const oldKid = credentials.body.signingKey.kid;
    const rotation = await broker.api.http().post(`/v1/apps/${app.body.id}/rotate-keys`).set(auth).expect(202);
    const kids = async () =>
      (await broker.api.http().get(`/v1/public/apps/${app.body.id}/jwks.json`).expect(200)).body.keys.map(
        (key: { kid: string }) => key.kid,
      );
    expect(await kids()).toEqual([oldKid, rotation.body.kid]);
    const signingKid = async () =>
      (await broker.api.http().get(`/v1/registrations/${registration!.id}/credentials`).set(auth).expect(200)).body
        .signingKey;
    expect((await signingKid()).kid).toBe(oldKid);

    await new Promise((resolve) => setTimeout(resolve, Date.parse(rotation.body.activatedAt) - Date.now() + 200));
    const next = await signingKid();
    expect(next.kid).toBe(rotation.body.kid);
    const renewed = await tokenSignedWith(next);
    expect(renewed.accessToken.reveal()).toEqual(expect.any(String));
    expect(await kids()).toEqual([oldKid, rotation.body.kid]);

    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await kids()).toEqual([rotation.body.kid]);
  }, 120_000);

  it('refuses a key rotation for an app whose keys the tenant manages', async () => {
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const refused = await broker.api.http().post(`/v1/apps/${app.body.id}/rotate-keys`).set(auth).expect(409);
    expect(refused.body.code).toBe('conflict');
  });
});
