import { DomainError, ErrorCode, SECRET_STORE, type SecretStore } from '#domain';
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
 * The window between the site's 201 and the broker's write. A job that stops there (here: an
 * unexpected error after the client was noted on the attempt, as a killed worker would leave it)
 * runs again and must not register a second client silently: the interrupted attempt becomes a
 * possible-orphan record naming the client (listed for the operator, announced to the site), and
 * the registration registers again instead of waiting on a person.
 */
describe('a registration whose answer could not be stored', () => {
  let broker: BrokerHarness;

  // The project's testTimeout does not reach hooks: a loaded machine needs more than 5 s to start the broker.
  beforeAll(async () => {
    broker = await startBroker();
  }, 60_000);
  afterAll(() => broker?.close());

  it('records the interrupted attempt as a possible orphan naming the client, and registers again', async () => {
    const store = broker.worker!.get<SecretStore>(SECRET_STORE);
    const put = store.put.bind(store);
    let failures = 0;
    store.put = async (name, value, options) => {
      if (name.includes('/health-systems/') && name.endsWith('/client') && failures++ === 0) {
        // Not a store failure (those are waited for in the job): the job itself stops here.
        throw new DomainError(ErrorCode.Internal, 'job stopped after the site answered (test)', { retryable: true });
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
    expect(progress.counts).toEqual({ registered: 1 });

    const { clients } = (await (await fetch(`${broker.sandbox.url}/sandbox/sites/${site}/clients`)).json()) as {
      clients: Array<{ client_id: string }>;
    };
    const [registration] = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    expect(clients).toHaveLength(2);
    const orphanClient = clients.find((client) => client.client_id !== registration!.clientId)!.client_id;
    const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
    expect(detail.body.attempts).toEqual([
      expect.objectContaining({ action: 'register', outcome: 'orphan_suspected', clientId: orphanClient }),
      expect.objectContaining({ action: 'register', outcome: 'succeeded', clientId: registration!.clientId }),
    ]);
    const orphans = await broker.api
      .http()
      .get('/v1/admin/possible-orphans')
      .query({ registrationId: registration!.id })
      .set(OPERATOR)
      .expect(200);
    expect(orphans.body.items).toEqual([
      expect.objectContaining({
        reason: 'interrupted',
        attemptId: detail.body.attempts[0].id,
        clientId: orphanClient,
        clientName: validAppBody().clientMetadata.client_name,
        resolvedAt: null,
      }),
    ]);
  }, 90_000);
});
