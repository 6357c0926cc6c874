import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALL_SCOPES, OPERATOR, startBroker, waitForOnboarding, type BrokerHarness } from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';

/**
 * The directory for tenants, discovery failures for the operator, and health-system
 * administrators as a principal of their own: the journeys end to end with the sandbox EHR, the
 * API and a worker (registrations, webhook deliveries and replays really happen).
 */
jest.setTimeout(120_000);

type Json = Record<string, any>;

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('directory, discovery status and health-system administrators', () => {
  let broker: BrokerHarness;
  let receiver: Server;
  let receiverUrl: string;
  const received: string[] = [];
  let sites: Map<string, string>;
  let brokenSiteId: string;
  let tenant: { tenantId: string; auth: { Authorization: string } };
  let appId: string;
  let siteAuth: { Authorization: string };
  let siteKeyId: string;
  const http = () => broker.api.http();

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // Any port of 127.0.0.1: the sandbox and the webhook receiver.
    broker = await startBroker({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' });
    const suffix = randomUUID().slice(0, 8);
    sites = await broker.addSites([
      { name: `site-open-${suffix}`, profile: 'open' },
      { name: `site-plain-${suffix}`, profile: 'no-management' },
    ]);
    const broken = await http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({
        name: 'Broken site',
        fhirBaseUrl: `http://127.0.0.1:${broker.sandbox.port}/sites/missing-${suffix}/fhir`,
      })
      .expect(201);
    brokenSiteId = broken.body.id;
    tenant = await broker.api.tenantWithKey(ALL_SCOPES, `Acme ${suffix}`);
    appId = (await http().post('/v1/apps').set(tenant.auth).send(validAppBody()).expect(201)).body.id;
    const key = await http()
      .post(`/v1/admin/health-systems/${openSite()}/api-keys`)
      .set(OPERATOR)
      .send({ name: 'Open site admins' })
      .expect(201);
    expect(key.body.token).toMatch(/^srbh_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    siteAuth = { Authorization: `Bearer ${key.body.token}` };
    siteKeyId = key.body.id;
  }, 120_000);

  afterAll(async () => {
    await broker?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const openSite = () => [...sites.values()][0]!;
  const plainSite = () => [...sites.values()][1]!;

  it('shows tenants the directory: names, vendor, FHIR base and what discovery found, never a secret', async () => {
    const entries = await waitFor(
      async () =>
        (await http().get('/v1/health-systems').query({ limit: 200 }).set(tenant.auth).expect(200)).body
          .items as Json[],
      (items) => items.find((item) => item.id === openSite())?.discovery.status === 'ok',
    );
    const open = entries.find((item) => item.id === openSite())!;
    expect(open).toMatchObject({
      name: expect.stringContaining('Sandbox site-open'),
      vendor: 'sandbox',
      fhirBaseUrl: expect.stringContaining('/sites/site-open'),
      discovery: {
        status: 'ok',
        registrationSupported: true,
        discoveredAt: expect.any(String),
        tokenEndpointAuthMethods: expect.arrayContaining(['client_secret_basic']),
        lastError: null,
      },
    });
    expect(open).not.toHaveProperty('initialAccessTokenConfigured');
    expect(open).not.toHaveProperty('siteConcurrency');
    await http().get(`/v1/health-systems/${openSite()}`).set(tenant.auth).expect(200);
  });

  it('shows the operator why a site’s discovery failed', async () => {
    const site = await waitFor(
      async () => (await http().get(`/v1/admin/health-systems/${brokenSiteId}`).set(OPERATOR).expect(200)).body as Json,
      (body) => body.discovery.status === 'failed',
    );
    expect(site.discovery).toMatchObject({
      status: 'failed',
      registrationSupported: false,
      lastError: { error: expect.any(String), description: expect.any(String), at: expect.any(String) },
    });
  });

  it('names each registration’s health system, and answers lifecycle actions with the state they move to', async () => {
    const onboarding = await http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(tenant.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ healthSystemIds: [openSite(), plainSite()] })
      .expect(202);
    expect((await waitForOnboarding(broker.api, tenant.auth, onboarding.body.id)).counts).toEqual({ registered: 2 });
    const list = await http().get('/v1/registrations').query({ appId }).set(tenant.auth).expect(200);
    expect(list.body.items.map((item: Json) => item.healthSystem.name).sort()).toEqual(
      [expect.stringContaining('site-open'), expect.stringContaining('site-plain')].sort(),
    );
    const open = list.body.items.find((item: Json) => item.healthSystemId === openSite());
    const verify = await http().post(`/v1/registrations/${open.id}/verify`).set(tenant.auth).expect(202);
    expect(verify.headers.location).toBe(`/v1/registrations/${open.id}`);
    expect(verify.body).toMatchObject({
      action: 'verify',
      movingTo: 'verifying',
      links: { self: `/v1/registrations/${open.id}` },
      healthSystem: { id: openSite(), name: expect.stringContaining('site-open') },
    });
    expect(['registered', 'verifying']).toContain(verify.body.state);
  });

  it('lets the site’s administrators list what is registered with them, and nothing else', async () => {
    const site = await http().get('/v1/site').set(siteAuth).expect(200);
    expect(site.body).toMatchObject({ id: openSite(), discovery: { status: 'ok' } });
    const registrations = await http().get('/v1/site/registrations').set(siteAuth).expect(200);
    expect(registrations.body.items).toEqual([
      expect.objectContaining({
        tenant: { id: tenant.tenantId, name: expect.stringContaining('Acme') },
        app: { id: appId, name: 'Growth Chart' },
        clientId: expect.any(String),
        clientName: 'Growth Chart',
        state: expect.stringMatching(/^(registered|verifying)$/),
        since: expect.any(String),
      }),
    ]);
    const text = JSON.stringify(registrations.body);
    for (const secret of ['client_secret', 'clientSecret', 'registration_access_token', 'credential']) {
      expect(text).not.toContain(secret);
    }
    const filtered = await http().get('/v1/site/registrations').query({ state: 'failed' }).set(siteAuth).expect(200);
    expect(filtered.body.items).toEqual([]);
    await http().get('/v1/site/registrations').query({ state: 'nonsense' }).set(siteAuth).expect(400);
  });

  it('lets them manage their own webhook endpoint, see deliveries and replay one', async () => {
    const created = await http().post('/v1/site/webhooks').set(siteAuth).send({ url: receiverUrl }).expect(201);
    expect(created.body).toMatchObject({ healthSystemId: openSite(), signingSecret: expect.stringMatching(/^whsec_/) });
    const endpointId = created.body.id;
    const listed = await http().get('/v1/site/webhooks').set(siteAuth).expect(200);
    expect(listed.body.items.map((item: Json) => item.id)).toEqual([endpointId]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    // The operator sees the same endpoint under the site.
    await http().get(`/v1/admin/health-systems/${openSite()}/webhooks/${endpointId}`).set(OPERATOR).expect(200);

    const { eventId } = (await http().post(`/v1/site/webhooks/${endpointId}/ping`).set(siteAuth).expect(202)).body;
    const deliveries = await waitFor(
      async () =>
        (await http().get(`/v1/site/webhooks/${endpointId}/deliveries`).set(siteAuth).expect(200)).body.items as Json[],
      (items) => items.some((item) => item.eventId === eventId && item.outcome === 'delivered'),
    );
    expect(deliveries).toEqual(expect.arrayContaining([expect.objectContaining({ eventId, outcome: 'delivered' })]));
    const events = await http().get('/v1/site/webhooks/events').set(siteAuth).expect(200);
    expect(events.body.items.map((event: Json) => event.id)).toContain(eventId);

    await http().post(`/v1/site/webhooks/${endpointId}/events/${eventId}/replay`).set(siteAuth).expect(202);
    const replayed = await waitFor(
      async () =>
        (await http().get(`/v1/site/webhooks/${endpointId}/deliveries`).query({ eventId }).set(siteAuth).expect(200))
          .body.items as Json[],
      (items) => items.some((item) => item.replay === true && item.outcome === 'delivered'),
    );
    expect(replayed.filter((item) => item.replay)).toHaveLength(1);
    expect(received.length).toBeGreaterThanOrEqual(2);

    await http().patch(`/v1/site/webhooks/${endpointId}`).set(siteAuth).send({ enabled: false }).expect(200);
    const audit = await http().get('/v1/admin/audit-events').query({ limit: 50 }).set(OPERATOR).expect(200);
    expect(audit.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'webhook_event.replayed',
          actorType: 'health_system_key',
          actorId: siteKeyId,
        }),
      ]),
    );
    await http().delete(`/v1/site/webhooks/${endpointId}`).set(siteAuth).expect(204);
  });

  it('never lets them see another site’s data', async () => {
    const other = await http()
      .post(`/v1/admin/health-systems/${plainSite()}/webhooks`)
      .set(OPERATOR)
      .send({ url: receiverUrl })
      .expect(201);
    await http().get(`/v1/site/webhooks/${other.body.id}`).set(siteAuth).expect(404);
    await http().delete(`/v1/site/webhooks/${other.body.id}`).set(siteAuth).expect(404);
    const registrations = await http().get('/v1/site/registrations').set(siteAuth).expect(200);
    expect(JSON.stringify(registrations.body)).not.toContain(plainSite());
  });

  it('stops a revoked key at once', async () => {
    await http().delete(`/v1/admin/health-systems/${openSite()}/api-keys/${siteKeyId}`).set(OPERATOR).expect(200);
    const refused = await http().get('/v1/site/registrations').set(siteAuth).expect(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const keys = await http().get(`/v1/admin/health-systems/${openSite()}/api-keys`).set(OPERATOR).expect(200);
    expect(keys.body.items).toEqual([expect.objectContaining({ id: siteKeyId, revokedAt: expect.any(String) })]);
    expect(JSON.stringify(keys.body)).not.toContain('srbh_');
  });
});
