import { PrismaService } from '#persistence';
import type { SiteOptions } from '../../apps/sandbox/src/sandbox.js';
import { ALL_SCOPES, listRegistrations, startBroker, waitForOnboarding, type BrokerHarness } from './broker-harness.js';

/**
 * Drives the lifecycle of one app through the public API against sandbox sites, and looks at
 * the sites from behind (the sandbox operator API): the two views the interop tests compare.
 */
export type Json = Record<string, any>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(200);
  }
}

/** A SMART backend-services client: client_credentials makes every credential testable. */
export const backendMetadata = (clientName: string, scope = 'system/*.rs system/Patient.rs') => ({
  client_name: clientName,
  grant_types: ['client_credentials'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope,
  contacts: ['ops@interop.example.com'],
});

export class LifecycleDriver {
  auth!: { Authorization: string };
  appId!: string;

  private constructor(readonly broker: BrokerHarness) {}

  static async start(env: Record<string, string> = {}): Promise<LifecycleDriver> {
    const driver = new LifecycleDriver(await startBroker(env));
    ({ auth: driver.auth } = await driver.broker.api.tenantWithKey(ALL_SCOPES, 'Interop tenant'));
    return driver;
  }

  http() {
    return this.broker.api.http();
  }

  async createApp(metadata: Json): Promise<string> {
    this.appId = (
      await this.http()
        .post('/v1/apps')
        .set(this.auth)
        .send({ name: 'Interop app', clientMetadata: metadata })
        .expect(201)
    ).body.id;
    return this.appId;
  }

  /** Adds the sites, onboards the app there and returns the registration of each site by site name. */
  async onboard(sites: SiteOptions[], key: string): Promise<Map<string, Json>> {
    const ids = await this.broker.addSites(sites);
    const onboarding = await this.http()
      .post(`/v1/apps/${this.appId}/onboardings`)
      .set(this.auth)
      .set('Idempotency-Key', key)
      .send({ healthSystemIds: [...ids.values()] })
      .expect(202);
    await waitForOnboarding(this.broker.api, this.auth, onboarding.body.id, 90_000);
    const registrations = await listRegistrations(this.broker.api, this.auth, { appId: this.appId });
    const bySite = new Map<string, Json>();
    for (const site of sites)
      bySite.set(
        site.name,
        registrations.find((r) => r.healthSystemId === ids.get(site.name))!,
      );
    return bySite;
  }

  async detail(id: string): Promise<Json> {
    return (await this.http().get(`/v1/registrations/${id}`).set(this.auth).expect(200)).body;
  }

  /**
   * Starts an action and waits until the registration settles again after it: two more history
   * entries (into the action's state and out), or for a verify that found nothing new (a clean
   * verify writes no history) a later `lastVerifiedAt`.
   */
  async act(id: string, action: 'verify' | 'rotate'): Promise<Json> {
    const before = await this.detail(id);
    await this.http().post(`/v1/registrations/${id}/${action}`).set(this.auth).expect(202);
    return waitFor(
      () => this.detail(id),
      (d) =>
        ['registered', 'failed'].includes(d.state) &&
        (d.history.length >= before.history.length + 2 ||
          (action === 'verify' && d.lastVerifiedAt !== before.lastVerifiedAt)),
    );
  }

  /** Replaces the app's metadata and waits until every live registration carries the new version. */
  async updateApp(metadata: Json, ids: string[]): Promise<Json[]> {
    const replaced = await this.http()
      .put(`/v1/apps/${this.appId}`)
      .set(this.auth)
      .send({ name: 'Interop app', clientMetadata: metadata })
      .expect(200);
    const version = replaced.body.metadataVersion;
    return waitFor(
      () => Promise.all(ids.map((id) => this.detail(id))),
      (items) =>
        items.every((d) => (d.metadataVersion === version && d.state === 'registered') || d.state === 'failed'),
      60_000,
    );
  }

  /** Deletes the app and waits until every registration is a tombstone (or failed). */
  async offboard(ids: string[]): Promise<Json[]> {
    await this.http().delete(`/v1/apps/${this.appId}`).set(this.auth).expect(202);
    return waitFor(
      () => Promise.all(ids.map((id) => this.detail(id))),
      (items) => items.every((d) => ['deleted', 'failed'].includes(d.state)),
      60_000,
    );
  }

  /** A client credentials token request with what the broker serves the tenant now. */
  async tokenWithServedCredentials(id: string, scope: string): Promise<{ status: number; body: Json }> {
    const credentials = (await this.http().get(`/v1/registrations/${id}/credentials`).set(this.auth).expect(200)).body;
    const response = await fetch(credentials.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  }

  /** The clients a site holds (its own view). */
  async clientsAt(site: string): Promise<Json[]> {
    const response = await fetch(`${this.broker.sandbox.url}/sandbox/sites/${site}/clients`);
    return ((await response.json()) as { clients: Json[] }).clients;
  }

  /** The registration's audit events. */
  async auditOf(id: string): Promise<Json[]> {
    const events: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Json[]; nextCursor: string | null } } = await this.http()
        .get('/v1/audit-events')
        .query({ limit: 200, ...(cursor ? { cursor } : {}) })
        .set(this.auth)
        .expect(200);
      events.push(...page.body.items.filter((event) => event.registrationId === id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return events;
  }

  /** The webhook events recorded for a health system (outbox), parsed. */
  async webhookEvents(healthSystemId: string): Promise<Json[]> {
    const prisma = this.broker.worker!.get(PrismaService);
    const rows = await prisma.webhookEvent.findMany({ where: { healthSystemId }, orderBy: { createdAt: 'asc' } });
    return rows.map((row) => ({ type: row.type, ...(JSON.parse(row.body) as Json) }));
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}
