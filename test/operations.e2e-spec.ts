import { TEST_OPERATOR_TOKEN } from './support/test-config.js';
import { startApi, type ApiHarness } from './support/api-harness.js';

describe('operations endpoints', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('reports readiness of PostgreSQL and Redis', async () => {
    const ready = await api.http().get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'up', checks: { database: { status: 'up' }, redis: { status: 'up' } } });
    await api.http().get('/health/live').expect(200);
  });

  it('serves Prometheus metrics, registrations by state included', async () => {
    const metrics = await api.http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('# TYPE broker_registrations gauge');
    expect(metrics.text).toContain('# TYPE broker_outbound_requests_total counter');
  });

  it('keeps the queue dashboard behind the operator token (Bearer or Basic)', async () => {
    const anonymous = await api.http().get('/admin/queues').expect(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    await api.http().get('/admin/queues').auth('operator', 'wrong').expect(401);
    await api.http().get('/admin/queues').auth('operator', TEST_OPERATOR_TOKEN).expect(200);
    await api
      .http()
      .get('/admin/queues/api/queues')
      .set({ Authorization: `Bearer ${TEST_OPERATOR_TOKEN}` })
      .expect(200);
  });

  it('publishes the OpenAPI document', async () => {
    const document = await api.http().get('/docs-json').expect(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/apps', '/v1/apps/{appId}/onboardings', '/v1/registrations/{id}/credentials']),
    );
  });
});
