import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { LifecycleSweeps, ManualRegistration } from '#registration';
import { dumpDatabaseExceptSecretStore } from './support/database-scan.js';
import {
  ALL_SCOPES,
  OPERATOR,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';

/**
 * Sites without dynamic registration, end to end with real parts: the sandbox (a `manual` site
 * whose clients are created by hand through its operator API, as an EHR admin would; an `open`
 * site the operator marked manual; an `open` site registered over RFC 7591), the API, an
 * in-process worker, webhooks delivered to a real receiver, and the sites' administrators
 * answering with their health-system keys. The tests run in order on one onboarding.
 */

// Generous: the machine running the suite may be loaded; no assertion depends on time.
jest.setTimeout(60_000);

const run = Math.random().toString(36).slice(2, 8);
const SITES = {
  dcr: { name: `mr-dcr-${run}`, profile: 'open' as const },
  manual: { name: `mr-manual-${run}`, profile: 'manual' as const },
  marked: { name: `mr-marked-${run}`, profile: 'open' as const },
};

interface Delivery {
  path: string;
  type: string;
  data: Record<string, any>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('manual registration at sites without dynamic registration', () => {
  let broker: BrokerHarness;
  let receiver: Server;
  const deliveries: Delivery[] = [];
  let tenant: { Authorization: string };
  let appId: string;
  const siteIds = {} as Record<keyof typeof SITES, string>;
  const siteKeys = {} as Record<'manual' | 'marked', { Authorization: string }>;
  const registrationOf = {} as Record<keyof typeof SITES, string>;
  const requestOf = {} as Record<'manual' | 'marked', string>;
  /** Every secret a site administrator entered: none may show in responses, logs or ordinary columns. */
  const enteredSecrets: string[] = [];
  /** Every answer the site administrators and the tenant got (the credentials route excepted). */
  const answers: string[] = [];

  const http = () => broker.api.http();
  const site = (key: 'manual' | 'marked') => siteKeys[key];
  const received = (path: string, type: string, match: (data: Record<string, any>) => boolean = () => true) =>
    deliveries.find((d) => d.path === path && d.type === type && match(d.data));
  const sandboxClient = async (siteName: string, metadata: Record<string, unknown>) => {
    const response = await fetch(`${broker.sandbox.url}/sandbox/sites/${siteName}/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { client_id: string; client_secret: string };
  };
  const siteRequests = async (key: 'manual' | 'marked', query: Record<string, string>) => {
    const response = await http().get('/v1/site/registration-requests').query(query).set(site(key)).expect(200);
    answers.push(response.text);
    return response.body.items as Array<Record<string, any>>;
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: Record<string, any> };
        deliveries.push({ path: req.url ?? '', type: body.type, data: body.data });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    broker = await startBroker({
      // The sandbox and the webhook receiver, both on loopback.
      OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      SITE_REQUEST_REMINDER_SECONDS: '1',
      // A manual client's secret is due for a rotation request whenever it is inside the window.
      ROTATION_REMAINING_FRACTION: '0.99',
    });
    const ids = await broker.addSites(Object.values(SITES));
    for (const [key, options] of Object.entries(SITES)) siteIds[key as keyof typeof SITES] = ids.get(options.name)!;
    // The operator marks a site manual although it offers RFC 7591 (its policy: registration by hand).
    const marked = await http()
      .patch(`/v1/admin/health-systems/${siteIds.marked}`)
      .set(OPERATOR)
      .send({ registrationMode: 'manual' })
      .expect(200);
    expect(marked.body).toMatchObject({ registrationMode: 'manual', registrationPath: 'manual' });
    for (const key of ['manual', 'marked'] as const) {
      await http()
        .post(`/v1/admin/health-systems/${siteIds[key]}/webhooks`)
        .set(OPERATOR)
        .send({ url: `${receiverUrl}/${key}` })
        .expect(201);
      const issued = await http()
        .post(`/v1/admin/health-systems/${siteIds[key]}/api-keys`)
        .set(OPERATOR)
        .send({ name: `${key} administrators` })
        .expect(201);
      siteKeys[key] = { Authorization: `Bearer ${issued.body.token}` };
    }
    tenant = (await broker.api.tenantWithKey(ALL_SCOPES, 'Manual vendor')).auth;
    const app = await http()
      .post('/v1/apps')
      .set(tenant)
      .send({
        name: 'Backend app',
        clientMetadata: {
          client_name: 'Population Health Export',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'system/*.rs',
          contacts: ['ops@vendor.example.com'],
          logo_uri: 'https://vendor.example.com/logo.png',
          software_id: 'pop-health-export',
          software_version: '1.0.0',
        },
      })
      .expect(201);
    appId = app.body.id;
  }, 120_000);

  afterAll(async () => {
    await broker?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('onboards one app to a DCR site and to manual sites at once: registered there, awaiting_site here', async () => {
    const discovered = await eventually(async () => {
      const response = await http().get(`/v1/admin/health-systems/${siteIds.manual}`).set(OPERATOR).expect(200);
      return response.body.registrationPath ? response.body : undefined;
    }, 'discovery of the manual site');
    expect(discovered).toMatchObject({ registrationMode: 'automatic', registrationPath: 'manual' });

    const onboarding = await http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(tenant)
      .set('Idempotency-Key', `manual-${run}`)
      .send({ healthSystemIds: Object.values(siteIds) })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, tenant, onboarding.body.id);
    expect(progress.completed).toBe(true);
    const registrations = await listRegistrations(broker.api, tenant, { onboardingId: onboarding.body.id });
    for (const [key, id] of Object.entries(siteIds)) {
      registrationOf[key as keyof typeof SITES] = registrations.find((r) => r.healthSystemId === id)!.id;
    }
    const stateAt = (key: keyof typeof SITES) => registrations.find((r) => r.id === registrationOf[key])!.state;
    expect(stateAt('dcr')).toBe('registered');
    expect(stateAt('manual')).toBe('awaiting_site');
    expect(stateAt('marked')).toBe('awaiting_site');

    // The tenant sees which sites it waits for, and since when.
    const waiting = await http().get('/v1/registration-requests').query({ status: 'open' }).set(tenant).expect(200);
    expect(waiting.body.items.map((r: any) => r.healthSystemId).sort()).toEqual(
      [siteIds.manual, siteIds.marked].sort(),
    );
    for (const request of waiting.body.items) {
      expect(request).toMatchObject({ kind: 'register', status: 'open', appId });
      expect(request.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(request.openedAt)).not.toBeNaN();
    }
  });

  it("sends the manual site's webhook a registration.requested with everything to register by hand", async () => {
    // Generous: the delivery goes outbox -> dispatcher -> queue -> receiver, and a first attempt that fails
    // is retried after 5 s (once in a full run it had not arrived within 30 s).
    const delivery = await eventually(
      () => received('/manual', 'registration.requested'),
      'registration.requested',
      90_000,
    );
    const { request, registration } = delivery.data;
    expect(registration).toMatchObject({ id: registrationOf.manual, state: 'awaiting_site' });
    expect(request).toMatchObject({ kind: 'register', reminder: 0 });
    expect(request.document.client).toMatchObject({
      clientName: 'Population Health Export',
      grantTypes: ['client_credentials'],
      scopes: ['system/*.rs'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      needsClientSecret: true,
      contacts: ['ops@vendor.example.com'],
      logoUri: 'https://vendor.example.com/logo.png',
      softwareId: 'pop-health-export',
      softwareVersion: '1.0.0',
    });
    expect(request.links.self).toContain(`/v1/site/registration-requests/${request.id}`);
    requestOf.manual = request.id;
    requestOf.marked = (
      await eventually(() => received('/marked', 'registration.requested'), 'marked request')
    ).data.request.id;
  }, 120_000);

  it('re-sends open requests as reminders, counted for the operator', async () => {
    await sleep(1_100);
    const { reminded } = await broker.worker!.get(ManualRegistration).sendDueReminders();
    expect(reminded).toBeGreaterThanOrEqual(2);
    await eventually(
      () => received('/manual', 'registration.requested', (data) => data.request.reminder === 1),
      'a reminder',
    );
    const operatorView = await http()
      .get(`/v1/admin/registration-requests/${requestOf.manual}`)
      .set(OPERATOR)
      .expect(200);
    expect(operatorView.body).toMatchObject({ status: 'open', remindersSent: 1 });
    expect(operatorView.body.lastRemindedAt).not.toBeNull();
  });

  it("keeps each site key to its own site's requests (404 for another's)", async () => {
    const own = await siteRequests('marked', {});
    expect(own.map((r) => r.id)).toEqual([requestOf.marked]);
    await http().get(`/v1/site/registration-requests/${requestOf.manual}`).set(site('marked')).expect(404);
    await http().get(`/v1/site/registration-requests/${requestOf.manual}/printable`).set(site('marked')).expect(404);
    await http()
      .post(`/v1/site/registration-requests/${requestOf.manual}/complete`)
      .set(site('marked'))
      .send({ clientId: 'stolen', clientSecret: 'x'.repeat(20) })
      .expect(404);
    await http()
      .post(`/v1/site/registration-requests/${requestOf.manual}/decline`)
      .set(site('marked'))
      .send({ reason: 'not mine' })
      .expect(404);
    // The tenant's key is not a site key.
    await http().get(`/v1/site/registration-requests/${requestOf.manual}`).set(tenant).expect(401);
  });

  it('exports the request as JSON and as a printable page', async () => {
    const json = await http().get(`/v1/site/registration-requests/${requestOf.manual}`).set(site('manual')).expect(200);
    answers.push(json.text);
    expect(json.body.document.clientMetadata).toMatchObject({ client_name: 'Population Health Export' });
    const page = await http()
      .get(`/v1/site/registration-requests/${requestOf.manual}/printable`)
      .set(site('manual'))
      .expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('Population Health Export');
    expect(page.text).toContain('client_secret_basic');
  });

  it('refuses credentials the site does not accept (422, nothing stored) and stays awaiting_site', async () => {
    const created = await sandboxClient(SITES.manual.name, {
      client_name: 'Population Health Export',
      grant_types: ['client_credentials'],
      scope: 'system/*.rs',
    });
    const wrongSecret = `wrong-${randomBytes(16).toString('hex')}`;
    enteredSecrets.push(wrongSecret);
    const refused = await http()
      .post(`/v1/site/registration-requests/${requestOf.manual}/complete`)
      .set(site('manual'))
      .send({ clientId: created.client_id, clientSecret: wrongSecret })
      .expect(422);
    answers.push(refused.text);
    expect(refused.body.code).toBe('client_not_proven');
    const registration = await http().get(`/v1/registrations/${registrationOf.manual}`).set(tenant).expect(200);
    expect(registration.body.state).toBe('awaiting_site');
    // Keep the real client for the next test.
    (globalThis as Record<string, unknown>).__manualClient = created;
  });

  it('takes the client id and secret from the site key, proves them with a token request: registered', async () => {
    const created = (globalThis as Record<string, unknown>).__manualClient as {
      client_id: string;
      client_secret: string;
    };
    enteredSecrets.push(created.client_secret);
    const answered = await http()
      .post(`/v1/site/registration-requests/${requestOf.manual}/complete`)
      .set(site('manual'))
      .send({
        clientId: created.client_id,
        clientSecret: created.client_secret,
        // Soon: the rotation test below finds it due (ROTATION_REMAINING_FRACTION 0.99: after 1.2 s).
        clientSecretExpiresAt: new Date(Date.now() + 120_000).toISOString(),
      })
      .expect(200);
    answers.push(answered.text);
    expect(answered.body).toMatchObject({
      status: 'completed',
      clientId: created.client_id,
      proof: 'token_request_succeeded',
    });
    const registration = await http().get(`/v1/registrations/${registrationOf.manual}`).set(tenant).expect(200);
    answers.push(registration.text);
    expect(registration.body).toMatchObject({ state: 'registered', clientId: created.client_id });
    // The tenant's app gets the credential from the audited credentials route, as for any site.
    const credentials = await http()
      .get(`/v1/registrations/${registrationOf.manual}/credentials`)
      .set(tenant)
      .expect(200);
    expect(credentials.body).toMatchObject({ clientId: created.client_id, clientSecret: created.client_secret });

    const answeredEvent = await eventually(
      () => received('/manual', 'registration.request_answered'),
      'registration.request_answered',
    );
    expect(answeredEvent.data.request).toMatchObject({
      status: 'completed',
      clientId: created.client_id,
      proof: 'token_request_succeeded',
      answeredBy: { type: 'health_system_key' },
    });
    await eventually(() => received('/manual', 'registration.created'), 'registration.created');
    // Audit: who entered which client id, when (visible to the tenant).
    const audit = await http().get('/v1/audit-events').query({ limit: 200 }).set(tenant).expect(200);
    const entered = audit.body.items.find((e: any) => e.action === 'registration_request.completed');
    expect(entered).toMatchObject({ actorType: 'health_system_key', registrationId: registrationOf.manual });
    expect(entered.details).toMatchObject({ clientId: created.client_id });
  });

  it('lets a site decline with a reason the tenant sees', async () => {
    const reason = 'Our governance board does not approve bulk export apps.';
    const declined = await http()
      .post(`/v1/site/registration-requests/${requestOf.marked}/decline`)
      .set(site('marked'))
      .send({ reason })
      .expect(200);
    expect(declined.body).toMatchObject({ status: 'declined', declineReason: reason });
    const registration = await http().get(`/v1/registrations/${registrationOf.marked}`).set(tenant).expect(200);
    expect(registration.body).toMatchObject({
      state: 'failed',
      lastError: { error: 'declined_by_site', error_description: reason, retryable: false },
    });
    const request = await http().get(`/v1/registration-requests/${requestOf.marked}`).set(tenant).expect(200);
    expect(request.body).toMatchObject({ status: 'declined', declineReason: reason });
    const audit = await http().get('/v1/audit-events').query({ limit: 200 }).set(tenant).expect(200);
    expect(audit.body.items.map((e: any) => e.action)).toContain('registration_request.declined');
    // Answered requests cannot be answered again.
    await http()
      .post(`/v1/site/registration-requests/${requestOf.marked}/complete`)
      .set(site('marked'))
      .send({ clientId: 'late' })
      .expect(409);
  });

  it('asks the site for a new secret ahead of expiry, and takes it', async () => {
    // The secret entered expires in two minutes: the rotation sweep opens a rotation request.
    const created = (globalThis as Record<string, unknown>).__manualClient as { client_id: string };
    const secondSecret = `second-${randomBytes(16).toString('hex')}`;
    enteredSecrets.push(secondSecret);
    await fetch(`${broker.sandbox.url}/sandbox/sites/${SITES.manual.name}/clients/${created.client_id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_secret: secondSecret }),
    });
    await sleep(1_500);
    await broker.worker!.get(LifecycleSweeps).rotateExpiring();
    const [rotation] = await eventually(async () => {
      const items = await siteRequests('manual', { kind: 'rotation', status: 'open' });
      return items.length ? items : undefined;
    }, 'a rotation request');
    expect(rotation!.document).toMatchObject({ kind: 'rotation', currentClientId: created.client_id });
    await eventually(
      () => received('/manual', 'registration.requested', (data) => data.request.kind === 'rotation'),
      'rotation webhook',
    );
    const answered = await http()
      .post(`/v1/site/registration-requests/${rotation!.id}/complete`)
      .set(site('manual'))
      .send({ clientSecret: secondSecret, clientSecretExpiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() })
      .expect(200);
    answers.push(answered.text);
    expect(answered.body).toMatchObject({ status: 'completed', proof: 'token_request_succeeded' });
    const credentials = await http()
      .get(`/v1/registrations/${registrationOf.manual}/credentials`)
      .set(tenant)
      .expect(200);
    expect(credentials.body.clientSecret).toBe(secondSecret);
  });

  it('turns an app change into an update request with the diff', async () => {
    await http()
      .put(`/v1/apps/${appId}`)
      .set(tenant)
      .send({
        name: 'Backend app',
        clientMetadata: {
          client_name: 'Population Health Export 2',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'system/*.rs system/Patient.r',
          contacts: ['ops@vendor.example.com'],
          logo_uri: 'https://vendor.example.com/logo.png',
          software_id: 'pop-health-export',
          software_version: '2.0.0',
        },
      })
      .expect(200);
    const [update] = await eventually(async () => {
      const items = await siteRequests('manual', { kind: 'update', status: 'open' });
      return items.length ? items : undefined;
    }, 'an update request');
    expect(update!.changes.map((c: any) => c.field)).toEqual(['client_name', 'scope', 'software_version']);
    expect(update!.changes.find((c: any) => c.field === 'client_name')).toEqual({
      field: 'client_name',
      from: 'Population Health Export',
      to: 'Population Health Export 2',
    });
    await eventually(
      () => received('/manual', 'registration.requested', (data) => data.request.kind === 'update'),
      'update webhook',
    );
    await http().post(`/v1/site/registration-requests/${update!.id}/complete`).set(site('manual')).send({}).expect(200);
    const registration = await http().get(`/v1/registrations/${registrationOf.manual}`).set(tenant).expect(200);
    expect(registration.body).toMatchObject({ state: 'registered', metadataVersion: 2 });
  });

  it('turns an offboarding into a removal request', async () => {
    await http()
      .delete(`/v1/apps/${appId}`)
      .set(tenant)
      .expect((response) => expect(response.status).toBeLessThan(300));
    const [removal] = await eventually(async () => {
      const items = await siteRequests('manual', { kind: 'removal', status: 'open' });
      return items.length ? items : undefined;
    }, 'a removal request');
    expect(removal!.document).toMatchObject({ kind: 'removal', currentClientId: expect.any(String) });
    const registration = await http().get(`/v1/registrations/${registrationOf.manual}`).set(tenant).expect(200);
    expect(registration.body.state).toBe('deleted');
    await http()
      .post(`/v1/site/registration-requests/${removal!.id}/complete`)
      .set(site('manual'))
      .send({})
      .expect(200);
    await eventually(
      () => received('/manual', 'registration.request_answered', (data) => data.request.kind === 'removal'),
      'removal answered',
    );
  });

  it('never shows, logs or stores in an ordinary column a secret a site entered', async () => {
    const database = await dumpDatabaseExceptSecretStore(broker.api.config.database.url);
    const logs = `${broker.api.logs.text}\n${broker.workerLogs.text}`;
    const webhooks = JSON.stringify(deliveries);
    for (const secret of enteredSecrets) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(database).not.toContain(secret);
      expect(webhooks).not.toContain(secret);
    }
  });
});
