import { jest } from '@jest/globals';
import { SECRET_STORE, type SecretStore } from '#domain';
import { PrismaService } from '#persistence';
import { dumpDatabaseExceptSecretStore } from './support/database-scan.js';
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
 * UDAP end to end (HL7 UDAP Security IG STU 2) against the sandbox's UDAP sites and their
 * test PKI: trust community and anchor (operator) → app key + CSR (tenant) → the community CA
 * signs → chain upload → one onboarding to a UDAP site and a plain RFC 7591 site → discovery
 * with signed metadata → UDAP registration → token requests with the UDAP assertion (with and
 * without the hl7-b2b extension) → modification → renewal → cancellation.
 */

const run = Math.random().toString(36).slice(2, 8);
const APP_URI = `https://apps.example.com/b2b/${run}`;
const B2B = {
  organization_id: 'https://orgs.example.com/acme',
  organization_name: 'Acme',
  purpose_of_use: ['urn:oid:2.16.840.1.113883.5.8#TREAT'],
};

describe('UDAP registration, token requests, modification, renewal and cancellation', () => {
  let broker: BrokerHarness;
  let auth: { Authorization: string };
  let appId: string;
  let communityId: string;
  let certificateId: string;
  let udapHealthSystemId: string;
  let plainHealthSystemId: string;
  let udapRegistrationId: string;
  const siteName = `udap-${run}`;

  const http = () => broker.api.http();
  const sandboxClients = async () =>
    (await fetch(`${broker.sandbox.url}/udap/sites/${siteName}/clients`).then((r) => r.json())) as {
      clients: Array<{
        clientId: string;
        iss: string;
        grantTypes: string[];
        metadata: Record<string, unknown>;
        tokenRequests: Array<{ extensions?: Record<string, any>; certificateSerial: string }>;
      }>;
      cancelled: Array<{ clientId: string }>;
      refusals: Array<{ endpoint: string; error: string; description: string }>;
    };

  beforeAll(async () => {
    broker = await startBroker();
    const udapSite = await broker.sandbox.udap.addSite({ name: siteName, b2b: 'required' });
    const created = await http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: `UDAP ${run}`, fhirBaseUrl: udapSite.fhirBaseUrl, vendor: 'sandbox-udap' })
      .expect(201);
    udapHealthSystemId = created.body.id;
    const plain = await broker.addSites([{ name: `plain-${run}`, profile: 'open' }]);
    plainHealthSystemId = plain.get(`plain-${run}`)!;
    ({ auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'UDAP tenant'));
    const app = await http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Acme B2B',
        keyManagement: 'managed',
        clientMetadata: {
          client_name: 'Acme B2B',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          scope: 'system/*.rs',
          contacts: ['ops@acme.example.com'],
        },
      })
      .expect(201);
    appId = app.body.id;
  }, 60_000);
  afterAll(() => broker?.close());

  it('lets the operator add a trust community with its anchor and name it for a health system', async () => {
    const community = await http()
      .post('/v1/admin/udap/communities')
      .set(OPERATOR)
      .send({
        uri: broker.sandbox.udap.communityUri,
        name: 'Sandbox community',
        trustAnchors: broker.sandbox.udap.trustAnchorPem,
      })
      .expect(201);
    communityId = community.body.id;
    expect(community.body.trustAnchors).toHaveLength(1);
    const bad = await http()
      .post('/v1/admin/udap/communities')
      .set(OPERATOR)
      .send({
        uri: 'https://other.example.com/community',
        name: 'Broken',
        trustAnchors: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      })
      .expect(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const site = await http()
      .put(`/v1/admin/health-systems/${udapHealthSystemId}/udap`)
      .set(OPERATOR)
      .send({ communityId })
      .expect(200);
    expect(site.body.community).toMatchObject({ id: communityId, uri: broker.sandbox.udap.communityUri });
  });

  it('makes the app a key pair and a CSR, and activates the chain the community CA issued', async () => {
    const created = await http()
      .post(`/v1/apps/${appId}/udap/certificates`)
      .set(auth)
      .send({ communityId, sanUri: APP_URI })
      .expect(201);
    certificateId = created.body.id;
    expect(created.body).toMatchObject({ state: 'awaiting_chain', alg: 'RS256' });
    expect(created.body.csr).toContain('-----BEGIN CERTIFICATE REQUEST-----');
    expect(JSON.stringify(created.body)).not.toContain('PRIVATE KEY');

    // A chain from a CA outside the community is refused, in words.
    const untrusted = await broker.sandbox.udap.signCsr(created.body.csr, { untrusted: true });
    const refused = await http()
      .put(`/v1/udap/certificates/${certificateId}/chain`)
      .set(auth)
      .send({ chain: untrusted })
      .expect(400);
    expect(JSON.stringify(refused.body.errors)).toContain('does not lead to a trust anchor');

    const issued = await broker.sandbox.udap.signCsr(created.body.csr);
    const active = await http()
      .put(`/v1/udap/certificates/${certificateId}/chain`)
      .set(auth)
      .send({ chain: issued })
      .expect(200);
    expect(active.body).toMatchObject({ state: 'active', sanUri: APP_URI, communityId, csr: null });
    expect(active.body.subject).toContain('CN=');
    expect(new Date(active.body.notAfter).getTime()).toBeGreaterThan(Date.now());
    // Expiry monitoring: the sandbox CA issues for a year.
    const soon = await http().get('/v1/udap/certificates/expiring?withinDays=30').set(auth).expect(200);
    expect(soon.body.items).toEqual([]);
    const withinYear = await http().get('/v1/udap/certificates/expiring?withinDays=400').set(auth).expect(200);
    expect(withinYear.body.items.map((c: { id: string }) => c.id)).toEqual([certificateId]);
    await http().get('/v1/udap/certificates/expiring?withinDays=-1').set(auth).expect(400);
  });

  it('onboards the app to a UDAP site and a plain RFC 7591 site in one onboarding', async () => {
    await http().put(`/v1/apps/${appId}/udap/settings`).set(auth).send({ b2b: B2B }).expect(200);
    const accepted = await http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `udap-${run}`)
      .send({ healthSystemIds: [udapHealthSystemId, plainHealthSystemId] })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, auth, accepted.body.id, 90_000);
    expect(progress.completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    const udap = registrations.find((r) => r.healthSystemId === udapHealthSystemId)!;
    const plain = registrations.find((r) => r.healthSystemId === plainHealthSystemId)!;
    expect({ udap: udap.state, plain: plain.state, udapError: udap.lastError ?? null }).toEqual({
      udap: 'registered',
      plain: 'registered',
      udapError: null,
    });
    udapRegistrationId = udap.id;

    // The site registered the app's URI (the certificate's SAN) as iss, for client_credentials only.
    const { clients } = await sandboxClients();
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ clientId: udap.clientId, iss: APP_URI, grantTypes: ['client_credentials'] });
    expect(clients[0].metadata.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(clients[0].metadata).not.toHaveProperty('redirect_uris');

    // Discovery recorded what the site supports and requires, and who signed its metadata.
    const site = await http().get(`/v1/admin/health-systems/${udapHealthSystemId}/udap`).set(OPERATOR).expect(200);
    expect(site.body.discovery).toMatchObject({
      profiles: expect.arrayContaining(['udap_dcr', 'udap_authn', 'udap_authz']),
      authorizationExtensionsRequired: ['hl7-b2b'],
      community: broker.sandbox.udap.communityUri,
    });
    expect(site.body.discovery.signedBy.uriSubjectAltNames).toContain(broker.sandbox.udap.site(siteName)!.fhirBaseUrl);
  });

  it('tells the tenant what its app needs for token requests, without any key', async () => {
    const described = await http().get(`/v1/registrations/${udapRegistrationId}/udap`).set(auth).expect(200);
    expect(described.body).toMatchObject({
      iss: APP_URI,
      tokenEndpoint: broker.sandbox.udap.site(siteName)!.tokenEndpoint,
      authorizationExtensionsRequired: ['hl7-b2b'],
      b2b: B2B,
      certificate: { id: certificateId, sanUri: APP_URI, state: 'active' },
    });
    expect(JSON.stringify(described.body)).not.toContain('PRIVATE KEY');
  });

  it('gets a token with the UDAP assertion and the hl7-b2b extension; without the required extension the site refuses', async () => {
    const ok = await http().post(`/v1/registrations/${udapRegistrationId}/udap/token-check`).set(auth).expect(200);
    expect(ok.body).toMatchObject({ ok: true, extensionsSent: ['hl7-b2b'], scope: 'system/*.rs' });
    expect(JSON.stringify(ok.body)).not.toContain('udap-at-'); // the access token is dropped
    const { clients } = await sandboxClients();
    expect(clients[0].tokenRequests.at(-1)!.extensions!['hl7-b2b']).toEqual({ version: '1', ...B2B });

    const without = await http()
      .post(`/v1/registrations/${udapRegistrationId}/udap/token-check?b2b=false`)
      .set(auth)
      .expect(200);
    expect(without.body).toMatchObject({
      ok: false,
      extensionsSent: [],
      error: { code: 'invalid_grant', httpStatus: 400 },
    });
    expect(without.body.error.description).toContain('hl7-b2b');
  });

  it('modifies the registration by registering again with the same iss (same client_id, IG §3.4)', async () => {
    const before = (await sandboxClients()).clients[0];
    await broker.api.app.get(PrismaService, { strict: false }).registration.update({
      where: { id: udapRegistrationId },
      data: {
        requestedMetadata: {
          client_name: 'Acme B2B v2',
          grant_types: ['client_credentials'],
          scope: 'system/*.rs',
          contacts: ['ops@acme.example.com'],
          token_endpoint_auth_method: 'private_key_jwt',
        },
      },
    });
    const modified = await http().post(`/v1/registrations/${udapRegistrationId}/udap/modify`).set(auth).expect(201);
    expect(modified.body).toMatchObject({ state: 'registered', clientId: before.clientId });
    const after = (await sandboxClients()).clients[0];
    expect(after.metadata.client_name).toBe('Acme B2B v2');
    expect(after.clientId).toBe(before.clientId);
  });

  it('renews the certificate before expiry: re-registers with the new one and no token request fails', async () => {
    const renewal = await http().post(`/v1/udap/certificates/${certificateId}/renew`).set(auth).expect(201);
    expect(renewal.body).toMatchObject({ state: 'awaiting_chain', replacesId: certificateId });
    // Token requests keep working while the renewal waits for its chain (the old certificate signs).
    const during = await http().post(`/v1/registrations/${udapRegistrationId}/udap/token-check`).set(auth).expect(200);
    expect(during.body.ok).toBe(true);
    const issued = await broker.sandbox.udap.signCsr(renewal.body.csr);
    const uploaded = await http()
      .put(`/v1/udap/certificates/${renewal.body.id}/chain`)
      .set(auth)
      .send({ chain: issued })
      .expect(200);
    expect(uploaded.body.state).toBe('active');
    const expiring = await http().get('/v1/udap/certificates/expiring?withinDays=400').set(auth).expect(200);
    expect(expiring.body.items.map((c: { id: string }) => c.id)).toEqual([renewal.body.id]);
    expect(uploaded.body.reRegistered).toEqual([
      expect.objectContaining({ id: udapRegistrationId, state: 'registered' }),
    ]);
    const described = await http().get(`/v1/registrations/${udapRegistrationId}/udap`).set(auth).expect(200);
    expect(described.body.certificate.id).toBe(renewal.body.id);
    const afterRenewal = await http()
      .post(`/v1/registrations/${udapRegistrationId}/udap/token-check`)
      .set(auth)
      .expect(200);
    expect(afterRenewal.body.ok).toBe(true);

    // Every token request of this test at the site succeeded but the one sent without the required extension.
    const { clients, refusals } = await sandboxClients();
    expect(refusals.filter((r) => r.endpoint === 'token')).toHaveLength(1);
    const serials = new Set(clients[0].tokenRequests.map((r) => r.certificateSerial));
    expect(serials.size).toBe(2); // signed with the old certificate, then with the renewed one
    const old = await http().get(`/v1/udap/certificates/${certificateId}`).set(auth).expect(200);
    expect(old.body.state).toBe('superseded');
  });

  it('cancels the registration with an empty grant_types (IG §3.4)', async () => {
    const cancelled = await http().delete(`/v1/registrations/${udapRegistrationId}/udap`).set(auth).expect(200);
    expect(cancelled.body.state).toBe('deleted');
    const { clients, cancelled: gone } = await sandboxClients();
    expect(clients).toHaveLength(0);
    expect(gone.map((c) => c.clientId)).toContain(cancelled.body.clientId);
  });

  it('keeps key material out of responses, logs and ordinary columns', async () => {
    // The app's private keys, read from the secret store in-process: the values to look for.
    const store = broker.api.app.get<SecretStore>(SECRET_STORE, { strict: false });
    const certificates = await http().get(`/v1/apps/${appId}/udap/certificates`).set(auth).expect(200);
    const prisma = broker.api.app.get(PrismaService, { strict: false });
    const keyBodies: string[] = [];
    for (const certificate of certificates.body.items as Array<{ id: string }>) {
      const row = await prisma.appCertificate.findUniqueOrThrow({ where: { id: certificate.id } });
      const stored = await store.get(row.privateKeySecret, { versionId: row.privateKeyVersion });
      const pem = stored!.value.reveal();
      expect(pem).toContain('PRIVATE KEY');
      // A 64-character line from the middle of the key: found anywhere means the key leaked.
      keyBodies.push(pem.split('\n')[5]);
    }
    expect(keyBodies).toHaveLength(2);
    const database = await dumpDatabaseExceptSecretStore(broker.api.config.database.url);
    const responses = JSON.stringify(certificates.body);
    for (const body of keyBodies) {
      expect(database).not.toContain(body);
      expect(responses).not.toContain(body);
      expect(broker.api.logs.text).not.toContain(body);
      expect(broker.workerLogs.text).not.toContain(body);
    }
    expect(database).not.toContain('PRIVATE KEY');
  });
});
