import { importJWK } from 'jose';
import { createSafeHttpClient, requestClientCredentialsToken } from '#smart-client';
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
    broker = await startBroker();
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
    const token = await requestClientCredentialsToken(
      createSafeHttpClient({
        allowedHosts: broker.api.config.outbound.allowedHosts,
        timeoutMs: 10_000,
        maxResponseBytes: 1e6,
      }),
      {
        tokenEndpoint: credentials.body.tokenEndpoint,
        clientId: credentials.body.clientId,
        auth: {
          method: 'private_key_jwt',
          alg: 'RS384',
          kid: credentials.body.signingKey.kid,
          privateJwk: credentials.body.signingKey.privateJwk,
        },
        scope: 'system/*.rs',
      },
    );
    expect(token.accessToken.reveal()).toEqual(expect.any(String));
    expect(broker.api.logs.text).not.toContain(credentials.body.signingKey.privateJwk.d);
  });
});
