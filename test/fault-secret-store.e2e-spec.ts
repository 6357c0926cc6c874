import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { PrismaService } from '#persistence';
import { FakeSecretsManager } from '../libs/secrets/src/testing/fake-secrets-manager.js';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import {
  ALL_SCOPES,
  OPERATOR,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';

/**
 * The secret store (Secrets Manager, faked at its API; everything else real) failing before and
 * after a site's 201. Nothing may be lost: no credential the site issued is dropped without the
 * client being deleted again or recorded, nothing is sent to a site while the store is known to
 * be down, and every registration ends `registered` once the store is back.
 *
 * Durations are shortened by configuration: the in-job wait for the store
 * (`SECRETS_STORE_WAIT_SECONDS`, 5 min in production) is 2 s here, and the circuit re-probes every
 * second, so "longer than the in-job wait" takes seconds, not minutes.
 */
const TIMEOUT_MS = 120_000;
const STORE_WAIT_SECONDS = 2;

const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED', $metadata: {} });

async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('secret store outages (Secrets Manager fake; real PostgreSQL, Redis, sandbox)', () => {
  let broker: BrokerHarness;
  const fake = new FakeSecretsManager();
  const mock = mockClient(SecretsManagerClient);

  beforeAll(async () => {
    fake.install(mock);
    broker = await startBroker({
      SECRETS_BACKEND: 'aws',
      AWS_REGION: 'us-east-1',
      SECRETS_STORE_WAIT_SECONDS: String(STORE_WAIT_SECONDS),
      SECRETS_CIRCUIT_OPEN_MS: '1000',
      SECRETS_WRITE_RATE_PER_SECOND: '50',
    });
  }, 60_000);
  afterAll(async () => {
    fake.outage = null;
    await broker?.close();
    mock.restore();
  });
  afterEach(() => {
    fake.outage = null;
    fake.clearFaults();
  });

  async function onboard(sites: SiteOptions[]) {
    const siteIds = await broker.addSites(sites);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `store-${Date.now()}-${Math.random()}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    return { siteIds, auth, onboardingId: accepted.body.id as string };
  }

  const clientsAt = async (site: string) =>
    (
      (await (await fetch(`${broker.sandbox.url}/sandbox/sites/${site}/clients`)).json()) as {
        clients: Array<{ client_id: string }>;
      }
    ).clients.map((client) => client.client_id);

  const detail = async (auth: { Authorization: string }, id: string) =>
    (await broker.api.http().get(`/v1/registrations/${id}`).set(auth).expect(200)).body;

  /** Every registration registered, its credential readable, and exactly its client at its site. */
  async function expectAllRegistered(auth: { Authorization: string }, onboardingId: string, sites: string[]) {
    expect((await waitForOnboarding(broker.api, auth, onboardingId, 90_000)).completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { onboardingId });
    expect(registrations.map((r) => r.state)).toEqual(Array(sites.length).fill('registered'));
    for (const registration of registrations) {
      const credentials = await broker.api
        .http()
        .get(`/v1/registrations/${registration.id}/credentials`)
        .set(auth)
        .expect(200);
      expect(credentials.body.clientId).toBe(registration.clientId);
    }
    return registrations;
  }

  it(
    'sends nothing to the sites while the store is down, says why, and registers everything once it is back',
    async () => {
      fake.outage = connectionRefused();
      const names = Array.from({ length: 5 }, (_, i) => `down-before-${Date.now().toString(36)}-${i}`);
      const { auth, onboardingId } = await onboard(names.map((name) => ({ name, profile: 'open' })));

      const waiting = await poll(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items.every((r) => r.lastError?.error === 'waiting_for_secret_store'),
      );
      expect(waiting.map((r) => [r.state, r.lastError?.error])).toEqual(
        Array(5).fill(['retrying', 'waiting_for_secret_store']),
      );
      expect(waiting[0]!.lastError.error_description).toContain('ECONNREFUSED');
      // Jobs keep coming back while it lasts (the circuit re-probes every second)...
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // ...and still nothing reached a site, and no attempt was spent.
      for (const name of names) expect(await clientsAt(name)).toEqual([]);
      for (const registration of waiting) expect((await detail(auth, registration.id)).attempts).toEqual([]);

      fake.outage = null;
      const registrations = await expectAllRegistered(auth, onboardingId, names);
      for (const registration of registrations) {
        const { attempts } = await detail(auth, registration.id);
        expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['succeeded']);
      }
      for (const name of names) expect(await clientsAt(name)).toHaveLength(1);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps the credential through an outage shorter than the in-job wait',
    async () => {
      const name = `short-${Date.now().toString(36)}`;
      // Writes fail for a while after the 201; reads (the circuit's probe) keep working.
      fake.failNext('CreateSecret', ...Array.from({ length: 2 }, connectionRefused));
      const { auth, onboardingId } = await onboard([{ name, profile: 'open' }]);

      const [registration] = await expectAllRegistered(auth, onboardingId, [name]);
      expect(await clientsAt(name)).toEqual([registration!.clientId]);
      const { attempts } = await detail(auth, registration!.id);
      expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['succeeded']);
    },
    TIMEOUT_MS,
  );

  /** Starts the outage once the registration POST is on its way (the site answers slowly). */
  async function outageAfterThePost() {
    const name = `long-${Date.now().toString(36)}`;
    const { auth, onboardingId } = await onboard([{ name, profile: 'slow', delayMs: 1500 }]);
    await poll(
      () => listRegistrations(broker.api, auth, { onboardingId }),
      (items) => items[0]?.state === 'registering',
    );
    fake.outage = connectionRefused();
    return { name, auth, onboardingId };
  }

  it(
    'deletes the client again (RFC 7592) when the store stays down longer than the in-job wait, then registers once it is back',
    async () => {
      const { name, auth, onboardingId } = await outageAfterThePost();
      const [waiting] = await poll(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items[0]?.lastError?.error === 'waiting_for_secret_store',
      );
      const compensated = (await detail(auth, waiting!.id)).attempts;
      expect(compensated).toEqual([expect.objectContaining({ outcome: 'compensated', clientId: expect.any(String) })]);
      // The client the site created is gone again: nothing untracked is left there.
      expect(await clientsAt(name)).toEqual([]);

      fake.outage = null;
      const [registration] = await expectAllRegistered(auth, onboardingId, [name]);
      expect(await clientsAt(name)).toEqual([registration!.clientId]);
      const orphans = await broker.api
        .http()
        .get('/v1/admin/possible-orphans')
        .query({ registrationId: registration!.id })
        .set(OPERATOR)
        .expect(200);
      expect(orphans.body.items).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'records the client as a possible orphan where it cannot be deleted, announces it, and registers once the store is back',
    async () => {
      const name = `long-nomgmt-${Date.now().toString(36)}`;
      const { auth, onboardingId } = await onboard([{ name, profile: 'no-management' }]);
      // no-management answers fast: start the outage from the first write instead.
      fake.failNext('CreateSecret', ...Array.from({ length: 1_000 }, connectionRefused));
      const [waiting] = await poll(
        () => listRegistrations(broker.api, auth, { onboardingId }),
        (items) => items[0]?.lastError?.error === 'secret_store_unavailable' || items[0]?.state === 'registered',
      );
      expect(waiting!.state).not.toBe('registered');
      fake.clearFaults();
      const [registration] = await expectAllRegistered(auth, onboardingId, [name]);

      const clients = await clientsAt(name);
      const orphans = (
        await broker.api
          .http()
          .get('/v1/admin/possible-orphans')
          .query({ registrationId: registration!.id, resolved: 'false' })
          .set(OPERATOR)
          .expect(200)
      ).body.items as Array<Record<string, any>>;
      expect(orphans.length).toBeGreaterThanOrEqual(1);
      // Every client at the site is the registered one or a recorded possible orphan, and back.
      expect(clients.sort()).toEqual([registration!.clientId, ...orphans.map((o) => o.clientId)].sort());
      const attempts = (await detail(auth, registration!.id)).attempts as Array<Record<string, any>>;
      for (const orphan of orphans) {
        expect(orphan).toMatchObject({
          reason: 'credential_not_stored',
          clientName: validAppBody().clientMetadata.client_name,
        });
        expect(attempts.find((a) => a.id === orphan.attemptId)).toMatchObject({ outcome: 'orphan_suspected' });
      }

      // The site was told (attempt id, time, client name)...
      const prisma = broker.worker!.get(PrismaService);
      const events = await prisma.webhookEvent.findMany({
        where: { healthSystemId: registration!.healthSystemId, type: 'registration.orphan_suspected' },
      });
      expect(events).toHaveLength(orphans.length);
      const body = JSON.parse(events[0]!.body);
      expect(body.data.attempt).toMatchObject({ id: orphans.at(-1)!.attemptId, clientName: orphans[0]!.clientName });

      // ...and the operator can close the record.
      const resolved = await broker.api
        .http()
        .post(`/v1/admin/possible-orphans/${orphans[0]!.id}/resolve`)
        .set(OPERATOR)
        .send({ resolution: 'deleted_at_site', note: 'removed by the site admin' })
        .expect(200);
      expect(resolved.body).toMatchObject({ resolution: 'deleted_at_site', resolvedAt: expect.any(String) });
      await broker.api
        .http()
        .post(`/v1/admin/possible-orphans/${orphans[0]!.id}/resolve`)
        .set(OPERATOR)
        .send({ resolution: 'gone' })
        .expect(400);
    },
    TIMEOUT_MS,
  );
});
