import { startApi, validAppBody, ALL_SCOPES, type ApiHarness } from './support/api-harness.js';

/**
 * Every tenant route, called with another tenant's object id, must answer 404 and show
 * nothing of that object. New tenant routes belong in this table.
 */
describe('tenant isolation', () => {
  let api: ApiHarness;
  let owner: { auth: { Authorization: string } };
  let intruder: { auth: { Authorization: string } };
  let appId: string;

  beforeAll(async () => {
    api = await startApi();
    owner = await api.tenantWithKey(ALL_SCOPES, 'Owner');
    intruder = await api.tenantWithKey(ALL_SCOPES, 'Intruder');
    const app = await api.http().post('/v1/apps').set(owner.auth).send(validAppBody()).expect(201);
    appId = app.body.id;
  });
  afterAll(() => api.close());

  const routes: Array<
    [string, (id: string) => [method: 'get' | 'put' | 'delete' | 'post', path: string, body?: object]]
  > = [
    ['GET app', (id) => ['get', `/v1/apps/${id}`]],
    ['PUT app', (id) => ['put', `/v1/apps/${id}`, validAppBody()]],
    ['DELETE app', (id) => ['delete', `/v1/apps/${id}`]],
  ];

  it.each(routes)('%s of another tenant answers 404 without data', async (_name, route) => {
    const [method, path, body] = route(appId);
    const response = await api.http()[method](path).set(intruder.auth).send(body);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(response.body)).not.toContain('Growth Chart');
  });

  it("lists only the caller's apps", async () => {
    const listed = await api.http().get('/v1/apps').set(intruder.auth).expect(200);
    expect(listed.body.items).toEqual([]);
  });

  it("still serves the owner after the intruder's attempts", async () => {
    const response = await api.http().get(`/v1/apps/${appId}`).set(owner.auth).expect(200);
    expect(response.body.name).toBe('Growth Chart');
  });

  it('answers 404 for ids that are not UUIDs', async () => {
    await api.http().get('/v1/apps/not-a-uuid').set(owner.auth).expect(404);
  });
});

describe('cursor pagination', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('walks every app exactly once, newest first', async () => {
    const { auth } = await api.tenantWithKey(ALL_SCOPES);
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const app = await api
        .http()
        .post('/v1/apps')
        .set(auth)
        .send({ ...validAppBody(), name: `App ${i}` })
        .expect(201);
      created.push(app.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await api
        .http()
        .get('/v1/apps')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(auth)
        .expect(200);
      seen.push(...response.body.items.map((item) => item.id));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('rejects a forged cursor and an out-of-range limit with problem+json', async () => {
    const { auth } = await api.tenantWithKey(ALL_SCOPES);
    const badCursor = await api.http().get('/v1/apps').query({ cursor: 'garbage' }).set(auth).expect(400);
    expect(badCursor.body.errors[0].path).toBe('cursor');
    const badLimit = await api.http().get('/v1/apps').query({ limit: 0 }).set(auth).expect(400);
    expect(badLimit.body.errors[0].path).toBe('query.limit');
  });
});
