import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { PrismaService } from '#persistence';
import { RegistrationJobs } from '#queue';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { OPERATOR, validAppBody } from './support/api-harness.js';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';

const run = Math.random().toString(36).slice(2, 8);
const site = (name: string, options: Omit<SiteOptions, 'name'>): SiteOptions => ({
  name: `${name}-${run}`,
  ...options,
});

/** 22 sites of mixed behaviour and what each must end as. */
const SITES: Array<[SiteOptions, string]> = [
  ...Array.from(
    { length: 5 },
    (_, i) => [site(`open-${i}`, { profile: 'open' }), 'registered'] as [SiteOptions, string],
  ),
  ...Array.from({ length: 3 }, (_, i) => [site(`iat-${i}`, { profile: 'iat' }), 'registered'] as [SiteOptions, string]),
  [site('iat-wrong', { profile: 'iat' }), 'failed'],
  // Its stored initial access token is altered before the onboarding: it cannot be decrypted.
  [site('iat-unreadable', { profile: 'iat' }), 'failed'],
  [site('expiring-0', { profile: 'expiring-secrets', secretTtlSeconds: 3600 }), 'registered'],
  [site('expiring-1', { profile: 'expiring-secrets', secretTtlSeconds: 3600 }), 'registered'],
  [site('rotating-0', { profile: 'rotating-rat' }), 'registered'],
  [site('rotating-1', { profile: 'rotating-rat' }), 'registered'],
  [site('narrowing-0', { profile: 'narrowing-scopes', allowedScopes: ['launch', 'openid', 'fhirUser'] }), 'registered'],
  [site('narrowing-none', { profile: 'narrowing-scopes', allowedScopes: ['system/*.rs'] }), 'failed'],
  [site('nomgmt-0', { profile: 'no-management' }), 'registered'],
  [site('nomgmt-1', { profile: 'no-management' }), 'registered'],
  [site('metadata-0', { profile: 'metadata-only' }), 'registered'],
  [site('metadata-1', { profile: 'metadata-only' }), 'registered'],
  [site('flaky-0', { profile: 'flaky', flakyRate: 0.5, retryAfterSeconds: 1 }), 'registered'],
  [site('flaky-1', { profile: 'flaky', flakyRate: 0.5, retryAfterSeconds: 1 }), 'registered'],
  [site('slow-0', { profile: 'slow', delayMs: 500 }), 'registered'],
];

describe('onboarding an app at many sandbox sites', () => {
  let broker: BrokerHarness;
  let siteIds: Map<string, string>;
  let auth: { Authorization: string };
  let appId: string;
  let onboardingId: string;

  beforeAll(async () => {
    broker = await startBroker();
    siteIds = await broker.addSites(
      SITES.map(([options]) => options),
      {
        initialAccessToken: (info) =>
          info.name.startsWith('iat-wrong') ? 'not-the-right-token' : info.initialAccessToken,
      },
    );
    const unreadable = siteIds.get(`iat-unreadable-${run}`)!;
    const altered = await broker.api.app.get(PrismaService, { strict: false })
      .$executeRaw`UPDATE "SecretVersion" SET "authTag" = ${randomBytes(16)} WHERE "secretName" LIKE ${`%${unreadable}%`}`;
    expect(altered).toBe(1);
    ({ auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Onboarding tenant'));
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send(validAppBody({ scope: 'launch openid fhirUser patient/*.rs' }))
      .expect(201);
    appId = app.body.id;
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `onboard-${run}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    expect(accepted.headers.location).toBe(`/v1/onboardings/${accepted.body.id}`);
    expect(accepted.body.total).toBe(SITES.length);
    onboardingId = accepted.body.id;
    const progress = await waitForOnboarding(broker.api, auth, onboardingId, 90_000);
    expect(progress.completed).toBe(true);
  }, 120_000);
  afterAll(() => broker?.close());

  it('ends every site in its expected state', async () => {
    const registrations = await listRegistrations(broker.api, auth, { onboardingId });
    const byHealthSystem = new Map(registrations.map((registration) => [registration.healthSystemId, registration]));
    for (const [options, expected] of SITES) {
      const registration = byHealthSystem.get(siteIds.get(options.name)!);
      expect({ site: options.name, state: registration?.state }).toEqual({ site: options.name, state: expected });
    }
  });

  it('has exactly one client at each site per registered row, and none where registration failed', async () => {
    const registrations = await listRegistrations(broker.api, auth, { onboardingId });
    for (const [options] of SITES) {
      const registration = registrations.find((r) => r.healthSystemId === siteIds.get(options.name));
      const clients = (await fetch(`${broker.sandbox.url}/sandbox/sites/${options.name}/clients`).then((r) =>
        r.json(),
      )) as {
        clients: Array<{ client_id: string }>;
      };
      const expected = registration?.state === 'registered' ? [registration.clientId] : [];
      expect({ site: options.name, clients: clients.clients.map((c) => c.client_id) }).toEqual({
        site: options.name,
        clients: expected,
      });
    }
  });

  it('shows the operator what discovery found at each site', async () => {
    const open = await broker.api
      .http()
      .get(`/v1/admin/health-systems/${siteIds.get(`open-0-${run}`)}`)
      .set(OPERATOR)
      .expect(200);
    expect(open.body.discovery).toMatchObject({
      registrationSupported: true,
      registrationEndpoint: expect.stringMatching(/\/oidc\/reg$/),
      sources: expect.arrayContaining(['smart-configuration', 'openid']),
    });
    const legacy = await broker.api
      .http()
      .get(`/v1/admin/health-systems/${siteIds.get(`metadata-0-${run}`)}`)
      .set(OPERATOR)
      .expect(200);
    expect(legacy.body.discovery.sources).toEqual(['capability-statement']);
  });

  it('reports failures in RFC 7591 terms', async () => {
    const registrations = await listRegistrations(broker.api, auth, { onboardingId, state: 'failed' });
    const wrongToken = registrations.find((r) => r.healthSystemId === siteIds.get(`iat-wrong-${run}`));
    expect(wrongToken?.lastError).toMatchObject({ error: 'invalid_token', httpStatus: 401, retryable: false });
    const narrowed = registrations.find((r) => r.healthSystemId === siteIds.get(`narrowing-none-${run}`));
    expect(narrowed?.lastError).toMatchObject({ error: 'invalid_client_metadata', httpStatus: 400, retryable: false });
    // Failed at once, without retries, saying why (never the token itself).
    const unreadable = registrations.find((r) => r.healthSystemId === siteIds.get(`iat-unreadable-${run}`));
    expect(unreadable?.attemptCount).toBe(0);
    expect(unreadable?.lastError).toMatchObject({ retryable: false });
    expect(unreadable?.lastError.error_description).toMatch(/failed authenticated decryption .*LOCAL_SECRETS_KEY/);
  });

  it('shows requested vs granted differences and the history of a narrowed registration', async () => {
    const [registration] = await listRegistrations(broker.api, auth, {
      onboardingId,
      healthSystemId: siteIds.get(`narrowing-0-${run}`)!,
    });
    const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
    expect(detail.body.metadataDifferences).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'scope', kind: 'narrowed' })]),
    );
    // `discovering` only when the job had to read the site: the directory discovered it when the
    // operator added it, so a registration within the description's lifetime goes straight on.
    const history = detail.body.history.map((h: { toState: string }) => h.toState) as string[];
    expect(history.filter((state) => state !== 'discovering')).toEqual(['queued', 'registering', 'registered']);
    expect(history.filter((state) => state === 'discovering').length).toBeLessThanOrEqual(1);
    expect(detail.body.endpoints.registration).toMatch(/\/reg$/);
    expect(JSON.stringify(detail.body)).not.toMatch(/client_secret"|registration_access_token/);
  });

  it('retried the flaky sites after their Retry-After', async () => {
    for (const name of [`flaky-0-${run}`, `flaky-1-${run}`]) {
      const [registration] = await listRegistrations(broker.api, auth, {
        onboardingId,
        healthSystemId: siteIds.get(name)!,
      });
      const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
      const attempts = detail.body.attempts as Array<{
        outcome: string;
        httpStatus: number;
        startedAt: string;
        finishedAt: string;
      }>;
      expect(attempts.at(-1)?.outcome).toBe('succeeded');
      const rateLimited = attempts.findIndex((a) => a.httpStatus === 429);
      if (rateLimited >= 0) {
        const waited = Date.parse(attempts[rateLimited + 1]!.startedAt) - Date.parse(attempts[rateLimited]!.finishedAt);
        expect(waited).toBeGreaterThanOrEqual(1000);
      }
      expect(attempts.some((a) => a.outcome === 'failed')).toBe(true);
    }
  });

  it('answers a repeated request with the same onboarding, and a different body with 409', async () => {
    const again = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `onboard-${run}`)
      .send({ healthSystemIds: [...siteIds.values()].reverse() })
      .expect(202);
    expect(again.body.id).toBe(onboardingId);
    const conflict = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `onboard-${run}`)
      .send({ healthSystemIds: [siteIds.get(`open-0-${run}`)] })
      .expect(409);
    expect(conflict.body.code).toBe('idempotency_key_reused');
    await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .send({ allHealthSystems: true })
      .expect(400);
  });

  it('refuses health systems that are not in the directory, naming them, and creates nothing', async () => {
    const unknown = randomUUID();
    const refused = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `unknown-site-${run}`)
      .send({ healthSystemIds: [siteIds.get(`open-0-${run}`), unknown] })
      .expect(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(refused.body.errors)).toContain(unknown);
    const onboardings = await broker.api.http().get('/v1/onboardings').set(auth).expect(200);
    expect(onboardings.body.items.map((o: { id: string }) => o.id)).toEqual([onboardingId]);
  });

  it('answers 202 when Redis refuses the jobs, loses nothing, and a replay enqueues them', async () => {
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({ ...validAppBody(), name: 'Enqueued later' })
      .expect(201);
    const targets = [siteIds.get(`open-1-${run}`)!, siteIds.get(`open-2-${run}`)!];
    const request = () =>
      broker.api
        .http()
        .post(`/v1/apps/${app.body.id}/onboardings`)
        .set(auth)
        .set('Idempotency-Key', `enqueue-later-${run}`)
        .send({ healthSystemIds: targets });
    const jobs = broker.api.app.get(RegistrationJobs, { strict: false });
    const refused = jest.spyOn(jobs, 'enqueueRegister').mockRejectedValueOnce(new Error('Redis is unavailable'));

    const accepted = await request().expect(202);
    expect(accepted.body.total).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(refused).toHaveBeenCalledTimes(1);
    expect(broker.api.logs.text).toContain('the reconciler will enqueue its registrations');
    // Committed and waiting for a job: nothing ran, nothing was lost.
    const waiting = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    expect(waiting.map((registration) => registration.state)).toEqual(['queued', 'queued']);

    refused.mockRestore();
    expect((await request().expect(202)).body.id).toBe(accepted.body.id);
    const done = await waitForOnboarding(broker.api, auth, accepted.body.id, 30_000);
    expect(done).toMatchObject({ completed: true, counts: { registered: 2 } });
  }, 45_000);

  it('gives credentials only to a key with credentials:read, and audits each read', async () => {
    const [registration] = await listRegistrations(broker.api, auth, {
      onboardingId,
      healthSystemId: siteIds.get(`open-0-${run}`)!,
    });
    const credentials = await broker.api
      .http()
      .get(`/v1/registrations/${registration!.id}/credentials`)
      .set(auth)
      .expect(200);
    expect(credentials.body).toMatchObject({ clientId: registration!.clientId, clientSecret: expect.any(String) });
    expect(credentials.body.tokenEndpoint).toMatch(/\/token$/);

    const readOnly = await broker.api.tenantWithKey(['registrations:read']);
    await broker.api.http().get(`/v1/registrations/${registration!.id}/credentials`).set(readOnly.auth).expect(403);

    const audit = await broker.api.http().get('/v1/audit-events').set(auth).expect(200);
    const reads = audit.body.items.filter((e: { action: string }) => e.action === 'credential.read');
    expect(reads[0]).toMatchObject({ registrationId: registration!.id, outcome: 'success', actorType: 'tenant_key' });
    expect(JSON.stringify(audit.body)).not.toContain(credentials.body.clientSecret);
    expect(broker.workerLogs.text).not.toContain(credentials.body.clientSecret);
    expect(broker.api.logs.text).not.toContain(credentials.body.clientSecret);
  });

  it('stays completed when a later onboarding restarts one of its failed registrations', async () => {
    // The counts show completion as the last registration settles; the worker's announcement
    // (`completedAt`) follows right after that job's commit.
    let before: Record<string, any>;
    for (let waited = 0; ; waited += 100) {
      before = (await broker.api.http().get(`/v1/onboardings/${onboardingId}`).set(auth).expect(200)).body;
      if (before.completedAt || waited > 10_000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(before).toMatchObject({ completed: true, completedAt: expect.any(String) });

    const retry = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `retry-iat-wrong-${run}`)
      .send({ healthSystemIds: [siteIds.get(`iat-wrong-${run}`)] })
      .expect(202);
    expect(retry.body.total).toBe(1); // the failed registration, restarted under the new onboarding

    const after = (await broker.api.http().get(`/v1/onboardings/${onboardingId}`).set(auth).expect(200)).body;
    expect(after.counts.failed).toBe(before.counts.failed - 1);
    expect(after).toMatchObject({ completed: true, completedAt: before.completedAt });
    // The site still refuses the token: the new onboarding ends with that registration failed again.
    const retried = await waitForOnboarding(broker.api, auth, retry.body.id, 60_000);
    expect(retried).toMatchObject({ completed: true, counts: { failed: 1 } });
  }, 90_000);
  it('restarts a failed registration only if no lifecycle job moved it first (compare-and-set)', async () => {
    // A lifecycle job moves a failed registration to `verifying` and holds its transaction open;
    // the onboarding's unlocked read still sees `failed`. Its restart must wait for the row and
    // then leave it to the job, not overwrite `verifying` with `queued`.
    const target = (await listRegistrations(broker.api, auth, { onboardingId, state: 'failed' })).find(
      (registration) => registration.healthSystemId === siteIds.get(`narrowing-none-${run}`),
    )!;
    const prisma = broker.api.app.get(PrismaService, { strict: false });
    let moved!: () => void;
    const movedFirst = new Promise<void>((resolve) => (moved = resolve));
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    const lifecycleJob = prisma.$transaction(
      async (tx) => {
        const count =
          await tx.$executeRaw`UPDATE "Registration" SET "state" = 'verifying', "stateReason" = 'test: lifecycle job'
                                            WHERE "id" = ${target.id}::uuid AND "state" = 'failed'`;
        expect(count).toBe(1);
        moved();
        await committing;
      },
      { timeout: 60_000 },
    );
    await movedFirst;
    const restart = broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `restart-race-${run}`)
      .send({ healthSystemIds: [target.healthSystemId] })
      .then((response) => response);
    // Wait until the restart's UPDATE is blocked on the row the lifecycle job holds.
    for (;;) {
      const waiting = await prisma.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE "wait_event_type" = 'Lock' AND "query" LIKE '%UPDATE "Registration"%onboardingId%'`;
      if (waiting[0]!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    commit();
    await lifecycleJob;
    const answer = await restart;
    expect(answer.status).toBe(202);
    expect(answer.body.total).toBe(0);
    const row = await prisma.registration.findUniqueOrThrow({ where: { id: target.id } });
    expect(row).toMatchObject({ state: 'verifying', onboardingId });
    await prisma.registration.update({
      where: { id: target.id },
      data: { state: 'failed', stateReason: 'test: done' },
    });
  }, 60_000);
});
