import { SECRET_STORE, type SecretStore } from '#domain';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';

/**
 * The window between the site's 201 and the broker's write: if storing the credential fails
 * (or the worker dies there), the job runs again and must not register a second client; the
 * registration becomes orphan_suspected and names the client the site created.
 */
describe('a registration whose answer could not be stored', () => {
  let broker: BrokerHarness;

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(() => broker?.close());

  it('ends orphan_suspected naming the client, with exactly that one client at the site', async () => {
    const store = broker.worker!.get<SecretStore>(SECRET_STORE);
    const put = store.put.bind(store);
    let failures = 0;
    store.put = async (name, value, options) => {
      if (name.includes('/health-systems/') && name.endsWith('/client') && failures++ === 0) {
        throw new Error('secret store unavailable (test)');
      }
      return put(name, value, options);
    };

    const site = `window-${Date.now().toString(36)}`;
    const siteIds = await broker.addSites([{ name: site, profile: 'open' }]);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', site)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, auth, accepted.body.id, 60_000);
    expect(progress.counts).toEqual({ orphan_suspected: 1 });

    const { clients } = (await (await fetch(`${broker.sandbox.url}/sandbox/sites/${site}/clients`)).json()) as {
      clients: Array<{ client_id: string }>;
    };
    expect(clients).toHaveLength(1);
    const [registration] = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    expect(registration!.lastError.error_description).toContain(`client ${clients[0]!.client_id} exists at the site`);
    const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
    expect(detail.body.attempts).toEqual([
      expect.objectContaining({ action: 'register', outcome: 'orphan_suspected', clientId: clients[0]!.client_id }),
    ]);
  }, 90_000);
});
