import { randomUUID } from 'node:crypto';
import { trustedTenantId } from '#domain';
import { PrismaService } from '#persistence';
import { RegistrationEvents } from '#registration';
import { ALL_SCOPES, startApi, validAppBody, type ApiHarness } from './support/api-harness.js';

/**
 * Completion of a large onboarding, driven directly: 2,000 registrations written settled in
 * SQL (registering that many through the sandbox is the benchmark's job), then the check every
 * job runs after it settles. Announcing it with a query and an insert per site took 4.4 s for
 * 1,000 sites on an idle machine, past Prisma's 5 s transaction timeout under load, and the
 * rolled-back completion was never announced; at 2,000 sites that design fails here.
 */
const SITES = 2_000;
const ACTOR = { type: 'system', component: 'worker' } as const;

describe('completing a 2,000-site onboarding', () => {
  let api: ApiHarness;
  let prisma: PrismaService;
  let events: RegistrationEvents;
  let tenantId: string;
  let appId: string;
  let onboardingId: string;
  const registrationIds: string[] = [];

  beforeAll(async () => {
    api = await startApi();
    prisma = api.app.get(PrismaService);
    events = api.app.get(RegistrationEvents);
    const tenant = await api.tenantWithKey(ALL_SCOPES, 'Completion tenant');
    tenantId = tenant.tenantId;
    appId = (await api.http().post('/v1/apps').set(tenant.auth).send(validAppBody()).expect(201)).body.id;
    onboardingId = randomUUID();
    const run = randomUUID().slice(0, 8);
    const healthSystemIds = Array.from({ length: SITES }, () => randomUUID());
    await prisma.healthSystem.createMany({
      data: healthSystemIds.map((id, i) => ({
        id,
        name: `Completion site ${i}`,
        fhirBaseUrl: `https://completion-${run}-${i}.example.org/fhir`,
      })),
    });
    await prisma.onboarding.create({
      data: { id: onboardingId, tenantId, appId, idempotencyKey: run, requestHash: run, total: SITES },
    });
    registrationIds.push(...healthSystemIds.map(() => randomUUID()));
    await prisma.registration.createMany({
      data: healthSystemIds.map((healthSystemId, i) => ({
        id: registrationIds[i]!,
        tenantId,
        appId,
        healthSystemId,
        onboardingId,
        // The last one is still at work.
        state: i === SITES - 1 ? 'registering' : 'registered',
        clientId: `client-${i}`,
        metadataVersion: 1,
        requestedMetadata: validAppBody().clientMetadata,
      })),
    });
  }, 60_000);
  afterAll(() => api?.close());

  const completedEvents = () =>
    prisma.webhookEvent.findMany({
      where: { type: 'onboarding.completed', body: { contains: onboardingId } },
      select: { body: true },
    });

  it('is not announced while one registration is still at work', async () => {
    expect(await events.completeOnboardingIfSettled(trustedTenantId(tenantId), onboardingId, ACTOR)).toBe(false);
    expect((await prisma.onboarding.findUniqueOrThrow({ where: { id: onboardingId } })).completedAt).toBeNull();
    expect(await completedEvents()).toEqual([]);
  });

  it('is announced once, to every site, when the last one settles', async () => {
    await prisma.registration.update({ where: { id: registrationIds.at(-1)! }, data: { state: 'failed' } });

    expect(await events.completeOnboardingIfSettled(trustedTenantId(tenantId), onboardingId, ACTOR)).toBe(true);
    // The compare-and-set lets only the first caller announce it.
    expect(await events.completeOnboardingIfSettled(trustedTenantId(tenantId), onboardingId, ACTOR)).toBe(false);

    expect((await prisma.onboarding.findUniqueOrThrow({ where: { id: onboardingId } })).completedAt).toBeInstanceOf(
      Date,
    );
    const announced = (await completedEvents()).map(({ body }) => JSON.parse(body));
    expect(announced).toHaveLength(SITES);
    expect(new Set(announced.map((event) => event.data.registration.id))).toEqual(new Set(registrationIds));
    expect(new Set(announced.map((event) => event.id)).size).toBe(SITES);
    const audit = await prisma.auditEvent.findMany({ where: { action: 'onboarding.completed', tenantId } });
    expect(audit.map((event) => event.details)).toEqual([{ onboardingId }]);
  }, 60_000);
});
