import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ALL_SCOPES, OPERATOR, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';
import { createAuthority, pemOf } from '../apps/sandbox/src/udap/udap-pki.js';
import { documentedRoutes, fillPath, label, type Route } from './support/openapi-routes.js';
import { PrismaService } from '#persistence';

/**
 * Tenant isolation, generated from the live OpenAPI document: every tenant route, called by
 * another tenant with the owner's ids in the path, the owner's ids as list filters, and the
 * owner's copied cursors, answers 404 (or an empty list) and shows nothing of the owner's data.
 * A new tenant route is covered the day it appears in the document.
 */
// Generous: the machine running the suite may be loaded; no assertion depends on time.
jest.setTimeout(120_000);

describe('tenant isolation (generated from the OpenAPI document)', () => {
  let api: ApiHarness;
  let routes: Route[];
  let owner: { tenantId: string; auth: { Authorization: string } };
  let intruder: { auth: { Authorization: string } };
  /** The owner's objects by collection name, as path parameters name them. */
  const ownerIds: Record<string, string> = {};
  const ownerMarker = `Owner-only-${randomUUID()}`;
  /** Every id and name of the owner's that must never show in an answer to the intruder. */
  let forbidden: string[];
  /** A cursor of each of the owner's lists. */
  const ownerCursors: string[] = [];

  beforeAll(async () => {
    api = await startApi();
    owner = await api.tenantWithKey(ALL_SCOPES, ownerMarker);
    intruder = await api.tenantWithKey(ALL_SCOPES, 'Intruder');
    const healthSystems: string[] = [];
    for (const n of [1, 2]) {
      const site = await api
        .http()
        .post('/v1/admin/health-systems')
        .set(OPERATOR)
        .send({ name: `Isolation ${n}`, fhirBaseUrl: `https://isolation-${n}-${randomUUID()}.example.org/fhir` })
        .expect(201);
      healthSystems.push(site.body.id);
    }
    for (const n of [1, 2]) {
      const app = await api
        .http()
        .post('/v1/apps')
        .set(owner.auth)
        .send({ ...validAppBody({ client_name: `${ownerMarker} ${n}` }), name: `${ownerMarker} ${n}` })
        .expect(201);
      ownerIds.apps = app.body.id;
    }
    for (const n of [1, 2]) {
      const onboarding = await api
        .http()
        .post(`/v1/apps/${ownerIds.apps}/onboardings`)
        .set(owner.auth)
        .set('Idempotency-Key', `isolation-${n}-${randomUUID()}`)
        .send({ healthSystemIds: n === 1 ? healthSystems : [healthSystems[0]] });
      expect(onboarding.status).toBeLessThan(300);
      ownerIds.onboardings = onboarding.body.id;
    }
    // A UDAP app certificate of the owner's (key pair + CSR), under a community the operator adds.
    const authority = await createAuthority('Isolation community CA');
    const community = await api
      .http()
      .post('/v1/admin/udap/communities')
      .set(OPERATOR)
      .send({
        uri: `https://isolation-${randomUUID()}.example.org/community`,
        name: 'Isolation',
        trustAnchors: pemOf(authority.certificate),
      })
      .expect(201);
    const certificate = await api
      .http()
      .post(`/v1/apps/${ownerIds.apps}/udap/certificates`)
      .set(owner.auth)
      .send({ communityId: community.body.id, sanUri: `https://isolation-${randomUUID()}.example.org/app` })
      .expect(201);
    ownerIds.certificates = certificate.body.id;
    const registrations = await api.http().get('/v1/registrations').set(owner.auth).expect(200);
    ownerIds.registrations = registrations.body.items[0].id;
    // A request to a site's administrators about the owner's registration (manual registration; the
    // worker opens these, and this suite runs no worker).
    const siteRequest = await api.app.get(PrismaService).registrationRequest.create({
      data: {
        id: randomUUID(),
        tenantId: owner.tenantId,
        registrationId: ownerIds.registrations,
        healthSystemId: registrations.body.items[0].healthSystemId,
        appId: ownerIds.apps,
        kind: 'register',
        document: { marker: ownerMarker },
        metadataVersion: 1,
      },
    });
    ownerIds['registration-requests'] = siteRequest.id;
    forbidden = [
      ownerMarker,
      owner.tenantId,
      ...Object.values(ownerIds),
      ...registrations.body.items.map((r: { id: string }) => r.id),
    ];

    routes = await documentedRoutes(api);
    for (const route of routes) {
      if (route.auth !== 'tenant' || route.method !== 'get' || route.parameters.length) continue;
      const page = await api.http().get(route.template).query({ limit: 1 }).set(owner.auth).expect(200);
      if (page.body.nextCursor) ownerCursors.push(page.body.nextCursor);
    }
  }, 120_000);
  afterAll(() => api.close());

  /** The owner's names and ids must not show, but for the ones the intruder sent itself (echoed in `instance`). */
  const expectNothingOfTheOwner = (text: string, sent: string[] = []) => {
    for (const value of forbidden.filter((id) => !sent.includes(id))) expect(text).not.toContain(value);
  };

  it('finds the tenant routes, the credentials route among them, and a cursor for several lists', () => {
    const tenantRoutes = routes.filter((route) => route.auth === 'tenant').map(label);
    expect(tenantRoutes).toEqual(
      expect.arrayContaining(['GET /v1/registrations/{id}/credentials', 'GET /v1/apps/{appId}']),
    );
    expect(ownerCursors.length).toBeGreaterThanOrEqual(3);
  });

  it("answers 404 without data to every tenant route naming another tenant's object", async () => {
    const failures: string[] = [];
    // The directory (/v1/health-systems) is shared by every tenant and holds nothing of any: not owned.
    const owned = (r: Route) =>
      r.auth === 'tenant' && r.parameters.length && !r.template.startsWith('/v1/health-systems');
    for (const route of routes.filter(owned)) {
      const path = fillPath(route, (resource) => {
        const id = ownerIds[resource];
        if (!id) throw new Error(`${label(route)}: no owner object for "${resource}"; add one to this test's set-up`);
        return id;
      });
      const body = route.template.endsWith('/onboardings')
        ? { allHealthSystems: true }
        : route.method === 'put'
          ? validAppBody()
          : undefined;
      const call = async (target: string) => {
        const request = api.http()[route.method](target).set(intruder.auth).set('Idempotency-Key', randomUUID());
        return body ? await request.send(body) : await request;
      };
      const response = await call(path);
      const isProblem = /^application\/problem\+json/.test(response.headers['content-type'] ?? '');
      if (response.status !== 404 || !isProblem) {
        // A body refused before any lookup (400 validation) tells nothing about the owner's object
        // as long as a made-up id gets the very same answer: no existence oracle.
        const unknown = await call(fillPath(route, () => randomUUID()));
        const sameAsUnknown =
          isProblem && response.status === 400 && unknown.status === 400 && response.body.code === unknown.body.code;
        if (!sameAsUnknown) failures.push(`${label(route)} -> ${response.status} ${response.text.slice(0, 200)}`);
      }
      expectNothingOfTheOwner(response.text, Object.values(ownerIds));
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("lists nothing of the owner's with the owner's ids as filters or the owner's cursors", async () => {
    const lists = routes.filter((r) => r.auth === 'tenant' && r.method === 'get' && !r.parameters.length);
    expect(lists.length).toBeGreaterThanOrEqual(4);
    // Filters: those the document lists, and the id filters the API takes even where the document is silent.
    const filterNames = (route: Route) => [
      ...new Set([...route.queryParameters, 'appId', 'onboardingId', 'healthSystemId']),
    ];
    for (const route of lists) {
      for (const filter of filterNames(route).filter((name) => !['limit', 'cursor'].includes(name))) {
        for (const id of Object.values(ownerIds)) {
          const response = await api
            .http()
            .get(route.template)
            .query({ [filter]: id })
            .set(intruder.auth);
          // 200 with the intruder's own items (a route may ignore a filter it does not know) or 400.
          expect([200, 400]).toContain(response.status);
          expectNothingOfTheOwner(response.text, [id]);
        }
      }
      for (const cursor of ownerCursors) {
        const response = await api.http().get(route.template).query({ cursor }).set(intruder.auth);
        expect([200, 400]).toContain(response.status);
        expectNothingOfTheOwner(response.text);
      }
    }
  }, 120_000);

  it('still serves the owner', async () => {
    await api.http().get(`/v1/registrations/${ownerIds.registrations}`).set(owner.auth).expect(200);
  });
});

/**
 * The same for health-system administrators: a site's key, with another site's endpoint and event
 * ids in the path, its ids as filters and its cursors, answers 404 (or its own, empty lists).
 */
describe('health-system isolation (generated from the OpenAPI document)', () => {
  let api: ApiHarness;
  let routes: Route[];
  const ownerIds: Record<string, string> = {};
  let forbidden: string[];
  let ownerSite: { Authorization: string };
  let intruderSite: { Authorization: string };
  const ownerCursors: string[] = [];

  const siteKey = async (healthSystemId: string) => {
    const key = await api
      .http()
      .post(`/v1/admin/health-systems/${healthSystemId}/api-keys`)
      .set(OPERATOR)
      .send({ name: 'isolation' })
      .expect(201);
    return { Authorization: `Bearer ${key.body.token}` };
  };

  beforeAll(async () => {
    api = await startApi();
    const marker = `Site-owner-${randomUUID()}`;
    const sites: string[] = [];
    for (const name of [marker, 'Intruder site']) {
      const site = await api
        .http()
        .post('/v1/admin/health-systems')
        .set(OPERATOR)
        .send({ name, fhirBaseUrl: `https://site-${randomUUID()}.example.org/fhir` })
        .expect(201);
      sites.push(site.body.id);
    }
    ownerSite = await siteKey(sites[0]!);
    intruderSite = await siteKey(sites[1]!);
    const tenant = await api.tenantWithKey(ALL_SCOPES, `${marker} tenant`);
    const app = await api.http().post('/v1/apps').set(tenant.auth).send(validAppBody()).expect(201);
    for (const n of [1, 2]) {
      const other = await api.http().post('/v1/apps').set(tenant.auth).send(validAppBody()).expect(201);
      await api
        .http()
        .post(`/v1/apps/${n === 1 ? app.body.id : other.body.id}/onboardings`)
        .set(tenant.auth)
        .set('Idempotency-Key', randomUUID())
        .send({ healthSystemIds: [sites[0]] })
        .expect(202);
    }
    for (const n of [1, 2]) {
      const endpoint = await api
        .http()
        .post('/v1/site/webhooks')
        .set(ownerSite)
        .send({ url: `http://127.0.0.1:9/hook-${n}` })
        .expect(201);
      ownerIds.webhooks = endpoint.body.id;
      ownerIds.events = (
        await api.http().post(`/v1/site/webhooks/${endpoint.body.id}/ping`).set(ownerSite).expect(202)
      ).body.eventId;
    }
    const registrations = await api.http().get('/v1/site/registrations').set(ownerSite).expect(200);
    expect(registrations.body.items).toHaveLength(2);
    // Requests to the owner site's administrators (manual registration), one per registration (the
    // worker opens these, and this suite runs no worker).
    for (const registration of registrations.body.items as Array<{ id: string; app: { id: string } }>) {
      const request = await api.app.get(PrismaService).registrationRequest.create({
        data: {
          id: randomUUID(),
          tenantId: tenant.tenantId,
          registrationId: registration.id,
          healthSystemId: sites[0]!,
          appId: registration.app.id,
          kind: 'register',
          document: { marker },
          metadataVersion: 1,
        },
      });
      ownerIds['registration-requests'] = request.id;
    }
    forbidden = [marker, tenant.tenantId, app.body.id, sites[0]!, ...Object.values(ownerIds)];
    forbidden.push(...registrations.body.items.map((r: { id: string }) => r.id));

    routes = (await documentedRoutes(api)).filter((route) => route.auth === 'healthSystem');
    for (const route of routes) {
      if (route.method !== 'get' || route.parameters.length) continue;
      const page = await api.http().get(route.template).query({ limit: 1 }).set(ownerSite).expect(200);
      if (page.body.nextCursor) ownerCursors.push(page.body.nextCursor);
    }
  }, 120_000);
  afterAll(() => api.close());

  const expectNothingOfTheOwner = (text: string, sent: string[] = []) => {
    for (const value of forbidden.filter((id) => !sent.includes(id))) expect(text).not.toContain(value);
  };

  it('finds the site routes and a cursor for each of their lists', () => {
    expect(routes.map(label)).toEqual(
      expect.arrayContaining([
        'GET /v1/site/registrations',
        'POST /v1/site/webhooks/{endpointId}/events/{eventId}/replay',
      ]),
    );
    expect(ownerCursors.length).toBeGreaterThanOrEqual(3);
  });

  it("answers 404 without data to every site route naming another site's object", async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.parameters.length)) {
      const path = fillPath(route, (resource) => {
        const id = ownerIds[resource];
        if (!id) throw new Error(`${label(route)}: no owner object for "${resource}"; add one to this test's set-up`);
        return id;
      });
      const request = api.http()[route.method](path).set(intruderSite);
      const response = route.method === 'patch' ? await request.send({ enabled: false }) : await request;
      if (response.status !== 404 || !(response.headers['content-type'] ?? '').startsWith('application/problem+json')) {
        failures.push(`${label(route)} -> ${response.status} ${response.text.slice(0, 200)}`);
      }
      expectNothingOfTheOwner(response.text, Object.values(ownerIds));
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("lists nothing of the owner's with the owner's ids as filters or the owner's cursors", async () => {
    const lists = routes.filter((r) => r.method === 'get' && !r.parameters.length);
    expect(lists.length).toBeGreaterThanOrEqual(3);
    for (const route of lists) {
      for (const filter of new Set([...route.queryParameters, 'tenantId', 'appId', 'eventId'])) {
        if (['limit', 'cursor', 'state'].includes(filter)) continue;
        for (const id of forbidden.filter((value) => /^[0-9a-f-]{36}$/.test(value))) {
          const response = await api
            .http()
            .get(route.template)
            .query({ [filter]: id })
            .set(intruderSite);
          expect([200, 400]).toContain(response.status);
          expectNothingOfTheOwner(response.text, [id]);
        }
      }
      for (const cursor of ownerCursors) {
        const response = await api.http().get(route.template).query({ cursor }).set(intruderSite);
        expect([200, 400]).toContain(response.status);
        expectNothingOfTheOwner(response.text);
      }
    }
  }, 120_000);

  it('refuses tenant keys and the operator token on site routes, and site keys on tenant routes', async () => {
    const tenant = await api.tenantWithKey(ALL_SCOPES);
    await api.http().get('/v1/site/registrations').set(tenant.auth).expect(401);
    await api.http().get('/v1/site/registrations').set(OPERATOR).expect(401);
    await api.http().get('/v1/registrations').set(ownerSite).expect(401);
    await api.http().get('/v1/admin/tenants').set(ownerSite).expect(401);
  });
});
