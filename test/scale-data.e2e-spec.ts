import { randomUUID } from 'node:crypto';
import { trustedTenantId, type TenantId } from '#domain';
import {
  AuditRepository,
  PrismaService,
  RegistrationRepository,
  RetentionRepository,
  type Transition,
} from '#persistence';
import { RetentionSweep } from '#registration';
import { testConfig } from './support/test-config.js';

/**
 * Data at scale, against the real PostgreSQL: keyset pages over rows that share one time (an
 * onboarding creates its registrations in one statement), bounded registration details, and
 * retention that deletes only what is old and keeps what must stay.
 */
const DAY_MS = 24 * 3600 * 1000;
const config = testConfig({ RETENTION_BATCH_SIZE: '2', RETENTION_BATCH_PAUSE_MS: '0' });
const prisma = new PrismaService(config);
const registrations = new RegistrationRepository(prisma);
const audit = new AuditRepository(prisma);
const sweep = new RetentionSweep(new RetentionRepository(prisma), config);

const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

async function tenantWithApp(): Promise<{ tenantId: TenantId; appId: string }> {
  const tenantId = trustedTenantId(randomUUID());
  const appId = randomUUID();
  await prisma.tenant.create({ data: { id: tenantId, name: 'scale' } });
  await prisma.app.create({ data: { id: appId, tenantId, name: 'scale', clientMetadata: { client_name: 'x' } } });
  return { tenantId, appId };
}

/** `count` registrations of one app, created in one statement: they share one `createdAt`. */
async function registrationsAtOnce(tenantId: TenantId, appId: string, states: string[]): Promise<string[]> {
  const ids = states.map(() => randomUUID());
  for (const id of ids) {
    await prisma.healthSystem.create({ data: { id, name: id, fhirBaseUrl: `https://${id}.example.org/fhir` } });
  }
  await prisma.$executeRaw`
    INSERT INTO "Registration" ("id", "tenantId", "appId", "healthSystemId", "state", "metadataVersion",
                                "requestedMetadata", "createdAt", "updatedAt")
    SELECT r.id, ${tenantId}::uuid, ${appId}::uuid, r.id, r.state, 1, '{}'::jsonb, now(), now()
      FROM unnest(${ids}::uuid[], ${states}::text[]) AS r(id, state)`;
  return ids;
}

async function everyPage<T>(
  read: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await read(cursor);
    all.push(...page.items);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

afterAll(() => prisma.$disconnect());

describe('keyset pages', () => {
  it('walk every registration once, newest first, when all share one createdAt (also filtered)', async () => {
    const { tenantId, appId } = await tenantWithApp();
    const states = ['queued', 'registered', 'registered', 'failed', 'registered', 'queued', 'registered'];
    const ids = await registrationsAtOnce(tenantId, appId, states);
    const all = await everyPage((cursor) => registrations.list(tenantId, {}, { limit: 2, cursor }));
    expect(all.map((r) => r.id)).toEqual([...ids].sort().reverse());

    const registered = await everyPage((cursor) =>
      registrations.list(tenantId, { appId, state: 'registered' }, { limit: 3, cursor }),
    );
    expect(registered.map((r) => r.id)).toEqual(
      ids
        .filter((_, i) => states[i] === 'registered')
        .sort()
        .reverse(),
    );
    expect(registered[0]).toMatchObject({ tenantId, appId, state: 'registered', requestedMetadata: {} });
    expect(registered[0]!.createdAt).toBeInstanceOf(Date);
  });

  it('walk a tenant audit trail with equal times once, and the operator view holds them too', async () => {
    const { tenantId } = await tenantWithApp();
    const at = new Date();
    const ids: string[] = Array.from({ length: 5 }, () => randomUUID());
    await prisma.auditEvent.createMany({
      data: ids.map((id) => ({ id, at, tenantId, actorType: 'system', action: 'x', outcome: 'success' })),
    });
    const seen = await everyPage((cursor) => audit.listForTenant(tenantId, { limit: 2, cursor }));
    expect(seen.map((event) => event.id)).toEqual([...ids].sort().reverse());
    const operator = await audit.listAllTenantsForOperator({ limit: 200 });
    expect(operator.items.filter((event) => ids.includes(event.id))).toHaveLength(5);
  });
});

describe('registration details', () => {
  it('show the newest entries inline, oldest first, and page through the older ones', async () => {
    const { tenantId, appId } = await tenantWithApp();
    const [id] = await registrationsAtOnce(tenantId, appId, ['queued']);
    for (const state of ['discovering', 'registering', 'registered', 'verifying']) {
      await prisma.registration.update({ where: { id: id! }, data: { state, stateReason: `to ${state}` } });
    }
    const snapshot = await registrations.snapshot(tenantId, id!, 2);
    expect(snapshot.history.items.map((t) => t.toState)).toEqual(['registered', 'verifying']);
    const older = await everyPage<Transition>((cursor) =>
      registrations.historyPage(tenantId, id!, { limit: 2, cursor: cursor ?? snapshot.history.olderCursor! }),
    );
    expect(older.map((t) => t.toState)).toEqual(['registering', 'discovering', 'queued']);
    expect((await registrations.lastEntryInto(id!, 'registered'))?.fromState).toBe('registering');

    const other = await tenantWithApp();
    await expect(registrations.historyPage(other.tenantId, id!, { limit: 2 })).rejects.toThrow(/not found/i);
    await expect(registrations.attemptsPage(other.tenantId, id!, { limit: 2 })).rejects.toThrow(/not found/i);
  });
});

describe('retention', () => {
  it('deletes old rows only, and keeps the newest history row and attempt, pending attempts and orphan evidence', async () => {
    const { tenantId, appId } = await tenantWithApp();
    const [quiet, busy] = await registrationsAtOnce(tenantId, appId, ['registered', 'registered']);
    // `quiet` changed nothing for years: all its history is old, the newest row must stay.
    await prisma.registrationTransition.updateMany({ where: { registrationId: quiet! }, data: { at: daysAgo(900) } });
    await prisma.registrationTransition.createMany({
      data: [800, 700].map((days) => ({
        id: randomUUID(),
        registrationId: quiet!,
        fromState: 'registered',
        toState: 'registered',
        at: daysAgo(days),
      })),
    });
    const quietNewest = await prisma.registrationTransition.findFirst({
      where: { registrationId: quiet! },
      orderBy: { at: 'desc' },
    });
    // `busy` has old history and a recent row.
    await prisma.registrationTransition.updateMany({ where: { registrationId: busy! }, data: { at: daysAgo(900) } });

    const attempt = (registrationId: string, days: number, outcome: string) => ({
      id: randomUUID(),
      tenantId,
      registrationId,
      action: 'verify',
      nonce: randomUUID(),
      outcome,
      startedAt: daysAgo(days),
    });
    const oldDone = attempt(busy!, 600, 'succeeded');
    const oldPending = attempt(busy!, 590, 'pending');
    const oldOrphan = attempt(busy!, 580, 'unknown');
    const newest = attempt(busy!, 570, 'succeeded');
    const quietOnly = attempt(quiet!, 900, 'succeeded');
    await prisma.registrationAttempt.createMany({ data: [oldDone, oldPending, oldOrphan, newest, quietOnly] });
    await prisma.possibleOrphan.create({
      data: {
        id: randomUUID(),
        tenantId,
        registrationId: busy!,
        healthSystemId: busy!,
        attemptId: oldOrphan.id,
        reason: 'outcome_unknown',
        attemptStartedAt: oldOrphan.startedAt,
      },
    });

    const oldAudit = randomUUID();
    const recentAudit = randomUUID();
    await prisma.auditEvent.createMany({
      data: [
        { id: oldAudit, at: daysAgo(3000), tenantId, actorType: 'system', action: 'old', outcome: 'success' },
        { id: recentAudit, at: daysAgo(364), tenantId, actorType: 'system', action: 'recent', outcome: 'success' },
      ],
    });

    const endpointId = randomUUID();
    await prisma.webhookEndpoint.create({
      data: {
        id: endpointId,
        healthSystemId: busy!,
        url: 'https://h.example.org/hook',
        secretName: 's',
        secretVersion: 'v',
      },
    });
    const event = (days: number, dispatched: boolean) => ({
      id: randomUUID(),
      healthSystemId: busy!,
      type: 'registration.created',
      body: '{}',
      createdAt: daysAgo(days),
      dispatchedAt: dispatched ? daysAgo(days) : null,
    });
    const oldEvent = event(60, true);
    const undispatched = event(60, false);
    const recentEvent = event(5, true);
    await prisma.webhookEvent.createMany({ data: [oldEvent, undispatched, recentEvent] });
    const delivery = (eventId: string, days: number) => ({
      id: randomUUID(),
      eventId,
      endpointId,
      eventType: 'registration.created',
      attempt: 1,
      at: daysAgo(days),
      outcome: 'delivered',
    });
    // A replay of the old event yesterday: it goes with its event.
    await prisma.webhookDelivery.createMany({
      data: [delivery(oldEvent.id, 60), delivery(oldEvent.id, 1), delivery(recentEvent.id, 5)],
    });

    const result = await sweep.run();
    expect(result.finished).toBe(true);

    const history = await prisma.registrationTransition.findMany({ where: { registrationId: quiet! } });
    expect(history.map((row) => row.id)).toEqual([quietNewest!.id]);
    const busyHistory = await prisma.registrationTransition.findMany({ where: { registrationId: busy! } });
    expect(busyHistory).toHaveLength(1);

    const attempts = await prisma.registrationAttempt.findMany({ where: { tenantId } });
    expect(attempts.map((row) => row.id).sort()).toEqual([oldPending.id, oldOrphan.id, newest.id, quietOnly.id].sort());

    const events = await prisma.auditEvent.findMany({ where: { id: { in: [oldAudit, recentAudit] } } });
    expect(events.map((row) => row.id)).toEqual([recentAudit]);

    const webhookEvents = await prisma.webhookEvent.findMany({ where: { healthSystemId: busy! } });
    expect(webhookEvents.map((row) => row.id).sort()).toEqual([undispatched.id, recentEvent.id].sort());
    const deliveries = await prisma.webhookDelivery.findMany({ where: { endpointId } });
    expect(deliveries.map((row) => row.eventId)).toEqual([recentEvent.id]);
  });

  it('refuses settings below the floors', () => {
    expect(() => testConfig({ RETENTION_AUDIT_DAYS: '30' })).toThrow(/RETENTION_AUDIT_DAYS: must be at least 365 days/);
    expect(() => testConfig({ RETENTION_WEBHOOK_EVENTS_DAYS: '3' })).toThrow(/RETENTION_WEBHOOK_EVENTS_DAYS/);
    expect(() => testConfig({ RETENTION_WEBHOOK_EVENTS_DAYS: '20', RETENTION_WEBHOOK_DELIVERIES_DAYS: '40' })).toThrow(
      /must not exceed RETENTION_WEBHOOK_EVENTS_DAYS/,
    );
  });
});
