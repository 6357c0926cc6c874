import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SecretValue } from '#domain';
import { parseCertificate, signX5cJwt, toX5c } from '#smart-client';
import { startSandbox, type Sandbox } from '../apps/sandbox/src/sandbox.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { OPERATOR } from './support/api-harness.js';

// RSA key generation and several HTTP round trips per test: generous on a loaded 2-core machine.
jest.setTimeout(120_000);

/**
 * UDAP refusals, each shown in words: signed metadata that does not validate (the broker does
 * not register there), a strict UDAP server refusing bad software statements with the IG's
 * errors, an app whose metadata the IG forbids, a chain + key upload, and a site that answers a
 * modification with a new client_id (IG §3.4).
 */

const run = Math.random().toString(36).slice(2, 8);

describe('a strict UDAP server (sandbox) refuses bad software statements with the IG errors', () => {
  let sandbox: Sandbox;
  let registrationEndpoint: string;
  const iss = `https://apps.example.com/strict/${run}`;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    ({ registrationEndpoint } = await sandbox.udap.addSite({ name: 'strict' }));
  }, 60_000);
  afterAll(() => sandbox?.close());

  async function statement(
    options: { untrusted?: boolean; expired?: boolean; aud?: string; lifetime?: number; jti?: string } = {},
  ) {
    const identity = await sandbox.udap.issueIdentity(iss, {
      untrusted: options.untrusted,
      ...(options.expired && {
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      }),
    });
    const now = Math.floor(Date.now() / 1000);
    return signX5cJwt(
      {
        iss,
        sub: iss,
        aud: options.aud ?? registrationEndpoint,
        iat: now,
        exp: now + (options.lifetime ?? 120),
        jti: options.jti ?? randomUUID(),
        client_name: 'Strict test',
        contacts: ['mailto:ops@example.com'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        scope: 'system/*.rs',
      },
      {
        alg: 'RS256',
        privateKeyPem: new SecretValue(identity.privateKeyPem),
        x5c: [toX5c(parseCertificate(identity.certificatePem))],
      },
    );
  }

  const post = async (softwareStatement: string) => {
    const response = await fetch(registrationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ software_statement: softwareStatement, udap: '1' }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { error?: string; error_description?: string; client_id?: string },
    };
  };

  it('registers a valid statement (201) and refuses its replayed jti', async () => {
    const jti = randomUUID();
    const first = await post(await statement({ jti }));
    expect(first.status).toBe(201);
    const replay = await post(await statement({ jti }));
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_software_statement' } });
    expect(replay.body.error_description).toContain('jti');
  });

  it.each([
    [
      'a certificate from a CA outside the community',
      { untrusted: true },
      'unapproved_software_statement',
      'trust anchor',
    ],
    ['an expired certificate', { expired: true }, 'unapproved_software_statement', 'expired'],
    [
      'an aud other than the registration endpoint',
      { aud: 'https://elsewhere.example.com/register' },
      'invalid_software_statement',
      'aud',
    ],
    ['an exp more than 5 minutes after iat', { lifetime: 600 }, 'invalid_software_statement', '5 minutes'],
  ])('refuses %s', async (_case, options, error, words) => {
    const refused = await post(await statement(options));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(error);
    expect(refused.body.error_description).toContain(words);
  });
});

describe('the broker and UDAP sites that must be refused or behave differently', () => {
  let broker: BrokerHarness;
  let auth: { Authorization: string };
  let communityId: string;
  const faults = ['tampered', 'wrong-iss', 'untrusted-signer', 'expired-signer'] as const;
  const healthSystems = new Map<string, string>();

  const addUdapSite = async (name: string, options: Record<string, unknown> = {}) => {
    const site = await broker.sandbox.udap.addSite({ name, ...options });
    const created = await broker.api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name, fhirBaseUrl: site.fhirBaseUrl })
      .expect(201);
    await broker.api
      .http()
      .put(`/v1/admin/health-systems/${created.body.id}/udap`)
      .set(OPERATOR)
      .send({ communityId })
      .expect(200);
    healthSystems.set(name, created.body.id);
    return created.body.id as string;
  };

  const appWithCertificate = async (metadata: Record<string, unknown>, sanUri: string) => {
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: String(metadata.client_name),
        keyManagement: 'managed',
        clientMetadata: { token_endpoint_auth_method: 'private_key_jwt', contacts: ['ops@example.com'], ...metadata },
      })
      .expect(201);
    const created = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/udap/certificates`)
      .set(auth)
      .send({ communityId, sanUri })
      .expect(201);
    const chain = await broker.sandbox.udap.signCsr(created.body.csr);
    await broker.api.http().put(`/v1/udap/certificates/${created.body.id}/chain`).set(auth).send({ chain }).expect(200);
    return app.body.id as string;
  };

  const onboard = async (appId: string, ids: string[], key: string) => {
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ healthSystemIds: ids })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, auth, accepted.body.id, 90_000);
    expect(progress.completed).toBe(true);
    return listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
  };

  beforeAll(async () => {
    broker = await startBroker();
    const community = await broker.api
      .http()
      .post('/v1/admin/udap/communities')
      .set(OPERATOR)
      .send({
        uri: broker.sandbox.udap.communityUri,
        name: 'Sandbox',
        trustAnchors: [broker.sandbox.udap.trustAnchorPem],
      })
      .expect(201);
    communityId = community.body.id;
    ({ auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'UDAP negatives'));
  }, 60_000);
  afterAll(() => broker?.close());

  it('does not register at a site whose signed metadata does not validate, and says why', async () => {
    for (const fault of faults) await addUdapSite(`${fault}-${run}`, { metadataFault: fault });
    const appId = await appWithCertificate(
      { client_name: 'Metadata checks', grant_types: ['client_credentials'], scope: 'system/*.rs' },
      `https://apps.example.com/m/${run}`,
    );
    const registrations = await onboard(
      appId,
      faults.map((fault) => healthSystems.get(`${fault}-${run}`)!),
      `faults-${run}`,
    );
    const byFault = Object.fromEntries(
      faults.map((fault) => {
        const registration = registrations.find((r) => r.healthSystemId === healthSystems.get(`${fault}-${run}`))!;
        return [
          fault,
          {
            state: registration.state,
            error: registration.lastError?.error,
            description: registration.lastError?.error_description,
          },
        ];
      }),
    );
    expect(byFault).toEqual({
      tampered: {
        state: 'failed',
        error: 'udap_metadata_invalid',
        description: expect.stringContaining('signature does not verify'),
      },
      'wrong-iss': {
        state: 'failed',
        error: 'udap_metadata_invalid',
        description: expect.stringContaining('is not the FHIR base URL'),
      },
      'untrusted-signer': {
        state: 'failed',
        error: 'udap_metadata_invalid',
        description: expect.stringContaining('trust anchor'),
      },
      'expired-signer': {
        state: 'failed',
        error: 'udap_metadata_invalid',
        description: expect.stringContaining('expired'),
      },
    });
    // Nothing was registered at any of them.
    for (const fault of faults) expect(broker.sandbox.udap.clients(`${fault}-${run}`)).toHaveLength(0);
  });

  it('fails an app whose metadata the IG forbids for UDAP (both grant types), in words, without calling the site', async () => {
    const id = await addUdapSite(`strict-meta-${run}`);
    const appId = await appWithCertificate(
      {
        client_name: 'Both grants',
        grant_types: ['authorization_code', 'client_credentials'],
        redirect_uris: ['https://app.example.com/cb'],
        scope: 'system/*.rs',
      },
      `https://apps.example.com/both/${run}`,
    );
    const [registration] = await onboard(appId, [id], `both-${run}`);
    expect(registration.state).toBe('failed');
    expect(registration.lastError).toMatchObject({ error: 'invalid_client_metadata', retryable: false });
    expect(registration.lastError.error_description).toContain('not both');
    expect(broker.sandbox.udap.clients(`strict-meta-${run}`)).toHaveLength(0);
  });

  it('uses the new client_id when a modification answers with one (IG §3.4), and the old one is cancelled', async () => {
    const id = await addUdapSite(`newid-${run}`, { newClientIdOnModify: true, b2b: 'none' });
    const appId = await appWithCertificate(
      { client_name: 'New id', grant_types: ['client_credentials'], scope: 'system/*.rs' },
      `https://apps.example.com/newid/${run}`,
    );
    const [registration] = await onboard(appId, [id], `newid-${run}`);
    expect(registration.state).toBe('registered');
    const modified = await broker.api
      .http()
      .post(`/v1/registrations/${registration.id}/udap/modify`)
      .set(auth)
      .expect(201);
    expect(modified.body.state).toBe('registered');
    expect(modified.body.clientId).not.toBe(registration.clientId);
    const credentials = await broker.api
      .http()
      .get(`/v1/registrations/${registration.id}/credentials`)
      .set(auth)
      .expect(200);
    expect(credentials.body.clientId).toBe(modified.body.clientId);
    const check = await broker.api
      .http()
      .post(`/v1/registrations/${registration.id}/udap/token-check`)
      .set(auth)
      .expect(200);
    expect(check.body).toMatchObject({ ok: true, clientId: modified.body.clientId, extensionsSent: [] });
  });

  it('offboarding a UDAP registration cancels it at the site with an empty grant_types (IG §3.4)', async () => {
    const id = await addUdapSite(`offboard-${run}`, { b2b: 'none' });
    const appId = await appWithCertificate(
      { client_name: 'Leaving', grant_types: ['client_credentials'], scope: 'system/*.rs' },
      `https://apps.example.com/leaving/${run}`,
    );
    const [registration] = await onboard(appId, [id], `offboard-${run}`);
    expect(registration.state).toBe('registered');
    await broker.api.http().delete(`/v1/registrations/${registration.id}`).set(auth).expect(202);
    const deadline = Date.now() + 60_000;
    let state = registration.state;
    while (state !== 'deleted' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = (await broker.api.http().get(`/v1/registrations/${registration.id}`).set(auth).expect(200)).body.state;
    }
    expect(state).toBe('deleted');
    expect(broker.sandbox.udap.clients(`offboard-${run}`)).toHaveLength(0);
    const site = (await fetch(`${broker.sandbox.url}/udap/sites/offboard-${run}/clients`).then((r) => r.json())) as {
      cancelled: Array<{ clientId: string }>;
    };
    expect(site.cancelled.map((c) => c.clientId)).toEqual([registration.clientId]);
  });

  it('imports an existing chain with its key, refusing a key that does not match', async () => {
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Imported',
        keyManagement: 'managed',
        clientMetadata: {
          client_name: 'Imported',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          scope: 'system/*.rs',
        },
      })
      .expect(201);
    const identity = await broker.sandbox.udap.issueIdentity(`https://apps.example.com/imported/${run}`);
    const other = await broker.sandbox.udap.issueIdentity(`https://apps.example.com/other/${run}`);
    const mismatch = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/udap/certificates/import`)
      .set(auth)
      .send({ communityId, chain: identity.certificatePem, privateKey: other.privateKeyPem })
      .expect(400);
    expect(JSON.stringify(mismatch.body)).toContain('does not certify this private key');
    expect(JSON.stringify(mismatch.body)).not.toContain('PRIVATE KEY');
    const imported = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/udap/certificates/import`)
      .set(auth)
      .send({ communityId, chain: identity.certificatePem, privateKey: identity.privateKeyPem })
      .expect(201);
    expect(imported.body).toMatchObject({ state: 'active', sanUri: `https://apps.example.com/imported/${run}` });
    expect(JSON.stringify(imported.body)).not.toContain('PRIVATE KEY');
    const untrusted = await broker.sandbox.udap.issueIdentity(`https://apps.example.com/untrusted/${run}`, {
      untrusted: true,
    });
    const refused = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/udap/certificates/import`)
      .set(auth)
      .send({ communityId, chain: untrusted.certificatePem, privateKey: untrusted.privateKeyPem })
      .expect(400);
    expect(JSON.stringify(refused.body.errors)).toContain('trust anchor');
    // The key reached neither a log line nor a response.
    const keyBody = identity.privateKeyPem.split('\n')[1];
    expect(broker.api.logs.text).not.toContain(keyBody);
  });
});
