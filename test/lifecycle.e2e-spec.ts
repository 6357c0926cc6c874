import { OPERATOR } from './support/api-harness.js';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { SECRET_STORE, trustedTenantId, type SecretStore } from '#domain';
import { PrismaService, RegistrationAttemptRepository } from '#persistence';
import { ReconcileRegistrationsUseCase } from '#registration';
import { LifecycleJob, QueueName } from '#queue';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';

/**
 * Client lifecycle against sandbox sites: secret rotation before expiry, registration access
 * tokens that rotate on every call, drift, app updates (with and without RFC 7592) and
 * offboarding. One broker and one app for the whole file; the tests run in order.
 */

const run = Math.random().toString(36).slice(2, 8);
const SITES = {
  expiring: { name: `lc-expiring-${run}`, profile: 'expiring-secrets', secretTtlSeconds: 20 },
  rotating: { name: `lc-rotating-${run}`, profile: 'rotating-rat' },
  crash: { name: `lc-crash-${run}`, profile: 'rotating-rat' },
  narrow: { name: `lc-narrow-${run}`, profile: 'narrowing-scopes', allowedScopes: ['system/*.rs'] },
  open: { name: `lc-open-${run}`, profile: 'open' },
  nomgmt: { name: `lc-nomgmt-${run}`, profile: 'no-management' },
} satisfies Record<string, SiteOptions>;
type SiteKey = keyof typeof SITES;

/** A SMART backend-services client: client_credentials makes every credential testable. */
const backendApp = (clientName: string, scope = 'system/*.rs') => ({
  name: 'Lifecycle app',
  clientMetadata: {
    client_name: clientName,
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
    contacts: ['ops@lifecycle.example.com'],
  },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(200);
  }
}

describe('client lifecycle (RFC 7592) against sandbox sites', () => {
  let broker: BrokerHarness;
  let auth: { Authorization: string };
  let appId: string;
  const registrationOf = {} as Record<SiteKey, Record<string, any>>;

  const http = () => broker.api.http();
  const detail = async (id: string) => (await http().get(`/v1/registrations/${id}`).set(auth).expect(200)).body;
  const clientsAt = async (site: SiteKey): Promise<Array<Record<string, any>>> =>
    (
      (await fetch(`${broker.sandbox.url}/sandbox/sites/${SITES[site].name}/clients`).then((r) => r.json())) as {
        clients: Array<Record<string, any>>;
      }
    ).clients;
  /** A client credentials token request with what the broker serves the tenant now. */
  async function tokenWithServedCredentials(
    registrationId: string,
  ): Promise<{ ok: boolean; status: number; expiresAt: string | null }> {
    const credentials = (await http().get(`/v1/registrations/${registrationId}/credentials`).set(auth).expect(200))
      .body;
    const response = await fetch(credentials.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.rs' }),
    });
    return { ok: response.ok, status: response.status, expiresAt: credentials.clientSecretExpiresAt };
  }
  /** The audit events of one registration (the tenant's audit API lists all its events). */
  async function auditOf(registrationId: string): Promise<Array<Record<string, any>>> {
    const events: Array<Record<string, any>> = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<Record<string, any>>; nextCursor: string | null } } = await http()
        .get('/v1/audit-events')
        .query({ limit: 200, ...(cursor ? { cursor } : {}) })
        .set(auth)
        .expect(200);
      events.push(...page.body.items.filter((event) => event.registrationId === registrationId));
      cursor = page.body.nextCursor;
    } while (cursor);
    return events;
  }
  /**
   * Starts an action and waits until the registration settles again: its history shows a new
   * settled state, or (a clean verify writes no history) a verify moved `lastVerifiedAt`.
   */
  async function act(site: SiteKey, action: 'verify' | 'rotate'): Promise<Record<string, any>> {
    const id = registrationOf[site].id;
    const before = await detail(id);
    const accepted = await http().post(`/v1/registrations/${id}/${action}`).set(auth).expect(202);
    expect(accepted.headers.location).toBe(`/v1/registrations/${id}`);
    return waitFor(
      () => detail(id),
      (d) =>
        ['registered', 'failed'].includes(d.state) &&
        (d.history.length >= before.history.length + 2 ||
          (action === 'verify' && d.lastVerifiedAt !== before.lastVerifiedAt)),
    );
  }

  beforeAll(async () => {
    // A 20 s secret rotated in its last 15 s (the window; a fraction of 0.9 of its lifetime is more).
    broker = await startBroker({
      ROTATION_WINDOW_SECONDS: '15',
      ROTATION_REMAINING_FRACTION: '0.9',
      ROTATION_SWEEP_INTERVAL_SECONDS: '2',
    });
    const siteIds = await broker.addSites(Object.values(SITES));
    ({ auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Lifecycle tenant'));
    appId = (await http().post('/v1/apps').set(auth).send(backendApp('Lifecycle v1')).expect(201)).body.id;
    const onboarding = await http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `lifecycle-${run}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    expect((await waitForOnboarding(broker.api, auth, onboarding.body.id)).completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { appId });
    for (const key of Object.keys(SITES) as SiteKey[]) {
      registrationOf[key] = registrations.find((r) => r.healthSystemId === siteIds.get(SITES[key].name))!;
      expect({ key, state: registrationOf[key].state }).toEqual({ key, state: 'registered' });
    }
  }, 90_000);

  afterAll(async () => {
    if (process.env.DUMP_WORKER_LOGS)
      (await import('node:fs')).writeFileSync(process.env.DUMP_WORKER_LOGS, broker.workerLogs.text);
    await broker?.close();
  });

  it('rotates a 20 s secret before it expires, and the served credential gets a token throughout', async () => {
    const id = registrationOf.expiring.id;
    const secretsSeen = new Set<string>();
    let firstTryFailures = 0;
    let hardFailures = 0;
    const until = Date.now() + 45_000;
    while (Date.now() < until) {
      const first = await tokenWithServedCredentials(id);
      expect(Date.parse(first.expiresAt!)).toBeGreaterThan(Date.now());
      if (!first.ok) {
        // The site revokes the old secret the moment its PUT issues a new one, so an app that
        // read its credentials in the instant before the switch gets invalid_client once and
        // must read them again (see CredentialSwitch). A second failure would be a gap.
        firstTryFailures += 1;
        await sleep(300);
        if (!(await tokenWithServedCredentials(id)).ok) hardFailures += 1;
      }
      secretsSeen.add((await detail(id)).clientSecretExpiresAt);
      await sleep(250);
    }
    const rotations = (await auditOf(id)).filter((event) => event.action === 'registration.secret_rotated');
    console.info(
      `expiring-secrets: ${rotations.length} rotations in 45 s, ${firstTryFailures} first-try token failures, ${hardFailures} hard failures`,
    );
    expect(hardFailures).toBe(0);
    expect(rotations.length).toBeGreaterThanOrEqual(4);
    expect(secretsSeen.size).toBeGreaterThanOrEqual(4);
    const after = await detail(id);
    expect(after.state).toBe('registered');
    // Every rotation: PUT (attempt), staged secret tested and promoted, recorded in the history.
    expect(
      after.attempts.filter(
        (a: { action: string; outcome: string }) => a.action === 'rotate' && a.outcome === 'succeeded',
      ).length,
    ).toBe(rotations.length);
    expect(after.history.filter((h: { toState: string }) => h.toState === 'rotating').length).toBeGreaterThanOrEqual(
      rotations.length,
    );
    expect(rotations[0].details).toMatchObject({ method: 'rfc7592_put', tested: true });
    expect(await clientsAt('expiring')).toHaveLength(1);
  }, 90_000);

  it('never loses a registration access token that rotates on every call', async () => {
    for (let i = 0; i < 3; i++) {
      const verified = await act('rotating', 'verify');
      expect(verified).toMatchObject({ state: 'registered', drift: [] });
    }
    // The secret store fails once while the rotated token is being saved: the save is retried in
    // process (same request token), nothing is lost and the next verify still manages the client.
    const store = broker.worker!.get<SecretStore>(SECRET_STORE);
    const put = store.put.bind(store);
    let failures = 1;
    store.put = async (...args) => {
      if (failures-- > 0) throw new Error('simulated secret store failure');
      return put(...args);
    };
    expect(await act('rotating', 'verify')).toMatchObject({ state: 'registered' });
    expect(await act('rotating', 'verify')).toMatchObject({ state: 'registered' });

    // The save never succeeds (what a worker killed between the answer and the save amounts
    // to): the site has already revoked the old token, so management is lost. The broker says
    // so precisely; the client itself still works and stays recorded.
    store.put = async () => {
      throw new Error('simulated crash before the save');
    };
    const lost = await act('crash', 'verify');
    store.put = put;
    expect(lost.state).toBe('failed');
    expect(lost.lastError).toMatchObject({ error: 'management_access_lost', retryable: false });
    // A later verify (old token: 401) tells "lost access" from "client deleted" with a token request.
    const again = await act('crash', 'verify');
    expect(again).toMatchObject({ state: 'failed', lastError: { error: 'management_access_lost' } });
    expect((await tokenWithServedCredentials(registrationOf.crash.id)).ok).toBe(true);
    expect((await clientsAt('crash')).map((c) => c.client_id)).toEqual([registrationOf.crash.clientId]);
  }, 60_000);

  it('detects drift made by the site administrator, field by field', async () => {
    const { clientId } = registrationOf.open;
    // The first RFC 7592 read after registration is the baseline of what this site's reads show.
    expect(await act('open', 'verify')).toMatchObject({ state: 'registered', drift: [] });
    await fetch(`${broker.sandbox.url}/sandbox/sites/${SITES.open.name}/clients/${clientId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Renamed by the EHR admin', contacts: null }),
    }).then((r) => expect(r.status).toBe(200));
    const verified = await act('open', 'verify');
    expect(verified.state).toBe('registered');
    expect(verified.lastVerifiedAt).not.toBeNull();
    expect(verified.drift).toEqual(
      expect.arrayContaining([
        { field: 'client_name', expected: 'Lifecycle v1', actual: 'Renamed by the EHR admin', kind: 'replaced' },
        { field: 'contacts', expected: ['ops@lifecycle.example.com'], actual: undefined, kind: 'removed' },
      ]),
    );
    expect(verified.drift).toHaveLength(2);
  });

  it('holds an action that arrives while another job works on the registration, without spending its attempts', async () => {
    const { id } = registrationOf.open;
    const prisma = broker.worker!.get(PrismaService);
    const lifecycleQueue = broker.worker!.get<Queue>(getQueueToken(QueueName.Lifecycle));
    // The rotation is accepted, then another job (a long verification) takes the registration
    // before a worker picks the rotation up: the queue is paused so the order is certain.
    await lifecycleQueue.pause();
    try {
      await http().post(`/v1/registrations/${id}/rotate`).set(auth).expect(202);
      await prisma.registration.update({ where: { id }, data: { state: 'verifying', stateReason: 'test: held' } });
    } finally {
      await lifecycleQueue.resume();
    }
    const held = await waitFor(
      async () =>
        (await lifecycleQueue.getJobs(['delayed', 'waiting', 'active'])).filter((j) => j.data.registrationId === id),
      (jobs) => jobs.length === 1 && jobs[0].name === LifecycleJob.Rotate && jobs[0].timestamp < Date.now() - 5_000,
      15_000,
    );
    expect(held.map((job) => ({ name: job.name, attemptsMade: job.attemptsMade }))).toEqual([
      { name: LifecycleJob.Rotate, attemptsMade: 0 },
    ]);
    expect((await detail(id)).state).toBe('verifying');

    await prisma.registration.update({ where: { id }, data: { state: 'registered', stateReason: 'test: released' } });
    const rotated = await waitFor(
      () => detail(id),
      (d) => d.state === 'registered' && d.history.at(-1).reason !== 'test: released',
    );
    expect(rotated.history.slice(-2).map((t: Record<string, string>) => t.toState)).toEqual(['rotating', 'registered']);
    registrationOf.open = rotated;
  }, 45_000);

  it('resumes a rotation whose job was lost with Redis data, through the reconciler', async () => {
    const { id } = registrationOf.open;
    const prisma = broker.worker!.get(PrismaService);
    const { tenantId } = await prisma.registration.findUniqueOrThrow({ where: { id } });
    // What a worker leaves when it dies mid-rotation and Redis loses the job: the row in
    // `rotating` with the attempt it opened, and nothing in the queue.
    const lost = await broker.worker!.get(RegistrationAttemptRepository).start(prisma, {
      tenantId: trustedTenantId(tenantId),
      registrationId: id,
      action: 'rotate',
    });
    await prisma.$executeRaw`UPDATE "Registration"
        SET "state" = 'rotating', "stateReason" = 'test: job lost', "updatedAt" = now() - interval '5 minutes'
      WHERE "id" = ${id}::uuid`;
    const reconcile = broker.worker!.get(ReconcileRegistrationsUseCase);

    // At least this one: the reconciler is fleet-wide, and a full run's database holds other suites'
    // rows (their own queues, long gone) that it resumes too. That this one resumed is checked below.
    expect((await reconcile.execute()).resumedLifecycle).toBeGreaterThanOrEqual(1);
    const resumed = await waitFor(
      () => detail(id),
      (d) => d.state === 'registered' && d.history.at(-1).reason !== 'test: job lost',
    );
    expect(resumed.history.slice(-2).map((t: Record<string, string>) => t.toState)).toEqual(['rotating', 'registered']);
    const rotations = resumed.attempts.filter((a: Record<string, string>) => a.action === 'rotate');
    expect(rotations.find((a: Record<string, string>) => a.id === lost.id).outcome).toBe('unknown');
    expect(rotations.at(-1).outcome).toBe('succeeded');
    expect((await tokenWithServedCredentials(id)).ok).toBe(true);
    // Nothing of this registration is stuck any more: another reconciler run leaves it as it is.
    await reconcile.execute();
    expect((await detail(id)).history.at(-1).toState).toBe('registered');
    registrationOf.open = resumed;
  }, 45_000);

  it('takes an app change to every site, re-registering where there is no RFC 7592', async () => {
    // `crash` lost its management token: it cannot be updated and is checked last.
    const sites: SiteKey[] = ['expiring', 'rotating', 'open', 'nomgmt', 'narrow'];
    const oldNoManagementClient = registrationOf.nomgmt.clientId;
    const replaced = await http().put(`/v1/apps/${appId}`).set(auth).send(backendApp('Lifecycle v2')).expect(200);
    expect(replaced.body.metadataVersion).toBe(2);
    const registrations = await waitFor(
      () => listRegistrations(broker.api, auth, { appId }),
      (items) =>
        sites.every((site) =>
          items.some((r) => r.id === registrationOf[site].id && r.metadataVersion === 2 && r.state === 'registered'),
        ),
      45_000,
    );
    for (const site of sites) {
      const registration = registrations.find((r) => r.id === registrationOf[site].id)!;
      expect({ site, state: registration.state, metadataVersion: registration.metadataVersion }).toEqual({
        site,
        state: 'registered',
        metadataVersion: 2,
      });
      const atSite = (await clientsAt(site)).find((c) => c.client_id === registration.clientId);
      expect({ site, clientName: atSite?.client_name }).toEqual({ site, clientName: 'Lifecycle v2' });
      expect((await tokenWithServedCredentials(registration.id)).ok).toBe(true);
      registrationOf[site] = registration;
    }
    // No RFC 7592: a new client replaced the old one, which the site's administrator must remove.
    expect(registrationOf.nomgmt.clientId).not.toBe(oldNoManagementClient);
    const audit = await auditOf(registrationOf.nomgmt.id);
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'registration.client_left_at_site',
          details: expect.objectContaining({ clientId: oldNoManagementClient }),
        }),
      ]),
    );
    // The lost-token registration stays behind (version 1, failed) and says why.
    const lost = await detail(registrationOf.crash.id);
    expect(lost).toMatchObject({ metadataVersion: 1, state: 'failed' });
  }, 60_000);

  it('ends a change the site refuses in failed, with the site error, the old client still working', async () => {
    // The `narrow` site grants system/*.rs at most: a PUT asking only for Observation is refused.
    await http()
      .put(`/v1/apps/${appId}`)
      .set(auth)
      .send(backendApp('Lifecycle v3', 'system/Observation.rs'))
      .expect(200);
    const failed = await waitFor(
      () => detail(registrationOf.narrow.id),
      (d) => d.state === 'failed',
    );
    expect(failed.lastError).toMatchObject({ error: 'invalid_client_metadata', httpStatus: 400, retryable: false });
    expect(failed.metadataVersion).toBe(2);
    expect(failed.clientId).toBe(registrationOf.narrow.clientId);
    expect((await tokenWithServedCredentials(registrationOf.narrow.id)).ok).toBe(true);
    expect(
      await waitFor(
        () => detail(registrationOf.open.id),
        (d) => d.metadataVersion === 3,
      ),
    ).toMatchObject({ state: 'registered' });
    // Fixed by the tenant: the failed registration takes the next version.
    await http().put(`/v1/apps/${appId}`).set(auth).send(backendApp('Lifecycle v4')).expect(200);
    expect(
      await waitFor(
        () => detail(registrationOf.narrow.id),
        (d) => d.metadataVersion === 4,
      ),
    ).toMatchObject({ state: 'registered' });
  }, 60_000);

  it('offboards: DELETE registration and DELETE app leave no client at the sites, rows as tombstones', async () => {
    const one = await http().delete(`/v1/registrations/${registrationOf.open.id}`).set(auth).expect(202);
    expect(one.headers.location).toBe(`/v1/registrations/${registrationOf.open.id}`);
    expect(
      await waitFor(
        () => detail(registrationOf.open.id),
        (d) => d.state === 'deleted',
      ),
    ).toMatchObject({ state: 'deleted' });
    expect(await clientsAt('open')).toEqual([]);

    await http().delete(`/v1/apps/${appId}`).set(auth).expect(202);
    const registrations = await waitFor(
      () => listRegistrations(broker.api, auth, { appId }),
      (items) => items.every((r) => r.state === 'deleted'),
    );
    expect(registrations.map((r) => r.state)).toEqual(Object.keys(SITES).map(() => 'deleted'));
    for (const site of ['expiring', 'rotating', 'open', 'narrow'] as SiteKey[]) {
      expect({ site, clients: await clientsAt(site) }).toEqual({ site, clients: [] });
    }
    // Where the broker cannot delete (no RFC 7592; a lost management token) it names what is left.
    const leftBehind = async (site: SiteKey) =>
      (await auditOf(registrationOf[site].id))
        .filter((e) => e.action === 'registration.client_left_at_site')
        .map((e) => e.details.clientId as string)
        .sort();
    expect(await leftBehind('nomgmt')).toEqual((await clientsAt('nomgmt')).map((c) => c.client_id).sort());
    expect(await leftBehind('crash')).toEqual([registrationOf.crash.clientId]);
    // A deleted registration no longer shows the error it had; the deletion's audit event keeps it.
    expect((await detail(registrationOf.crash.id)).lastError).toBeNull();
    const deletedEvent = (await auditOf(registrationOf.crash.id)).find((e) => e.action === 'registration.deleted');
    expect(deletedEvent?.details.clearedError).toMatchObject({ error: 'management_access_lost' });
    await http().get(`/v1/registrations/${registrationOf.expiring.id}/credentials`).set(auth).expect(409);
    const history = (await detail(registrationOf.expiring.id)).history.map((h: { toState: string }) => h.toState);
    expect(history.slice(-2)).toEqual(['deleting', 'deleted']);

    // Each site's administrators are told: a registration.deleted event for the site (webhook outbox).
    const events = await broker.api
      .http()
      .get(`/v1/admin/health-systems/${registrationOf.open.healthSystemId}/webhooks/events`)
      .set(OPERATOR)
      .expect(200);
    const types = events.body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['registration.created', 'onboarding.completed', 'registration.deleted']),
    );
  }, 60_000);
});
