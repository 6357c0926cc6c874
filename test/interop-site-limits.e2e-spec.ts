import { OPERATOR, waitForOnboarding } from './support/broker-harness.js';
import { backendMetadata, LifecycleDriver } from './support/lifecycle-driver.js';

/**
 * A server that corrupts concurrent registrations: the operator sets its health system's
 * concurrency to 1 through the operator API, and the workers then never send it two
 * registrations at once, whatever the fleet-wide SITE_CONCURRENCY.
 */
describe('per-health-system concurrency', () => {
  let driver: LifecycleDriver;
  afterAll(async () => {
    await driver?.close();
  });

  it('is set by the operator and holds registrations of many apps at one site to one at a time', async () => {
    driver = await LifecycleDriver.start({ SITE_CONCURRENCY: '8' });
    const name = `one-at-a-time-${Math.random().toString(36).slice(2, 7)}`;
    const ids = await driver.broker.addSites([
      { name, profile: 'open', quirks: { corruptConcurrentRegistrations: true } },
    ]);
    const healthSystemId = ids.get(name)!;
    const patched = await driver
      .http()
      .patch(`/v1/admin/health-systems/${healthSystemId}`)
      .set(OPERATOR)
      .send({ siteConcurrency: 1 })
      .expect(200);
    expect(patched.body.siteConcurrency).toBe(1);
    await driver
      .http()
      .patch(`/v1/admin/health-systems/${healthSystemId}`)
      .set(OPERATOR)
      .send({ siteConcurrency: 0 })
      .expect(400);

    const onboardings = await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) => {
        const appId = (
          await driver
            .http()
            .post('/v1/apps')
            .set(driver.auth)
            .send({ name: `App ${n}`, clientMetadata: backendMetadata(`Concurrent ${n}`) })
            .expect(201)
        ).body.id;
        return (
          await driver
            .http()
            .post(`/v1/apps/${appId}/onboardings`)
            .set(driver.auth)
            .set('Idempotency-Key', `${name}-${n}`)
            .send({ healthSystemIds: [healthSystemId] })
            .expect(202)
        ).body.id as string;
      }),
    );
    for (const id of onboardings) {
      const progress = await waitForOnboarding(driver.broker.api, driver.auth, id, 60_000);
      expect(progress).toMatchObject({ completed: true, counts: { registered: 1 } });
    }
    const summary = (await fetch(`${driver.broker.sandbox.url}/sandbox/sites/${name}`).then((r) => r.json())) as {
      clientCount: number;
      concurrentRegistrationsRefused: number;
    };
    expect(summary).toMatchObject({ clientCount: 5, concurrentRegistrationsRefused: 0 });
  }, 120_000);
});
