import { jest } from '@jest/globals';
import { REGISTRATION_LEDGER, trustedTenantId, type RegistrationLedger } from '#domain';
import { PrismaService } from '#persistence';
import { RotateSecretUseCase, UsabilityCheck, VerifyClientUseCase } from '#registration';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';

/**
 * Issue 18, item 3: a verify that finds nothing new writes only `lastVerifiedAt` (no history,
 * attempt or audit row); one that finds a change records it in full; and a rotation that runs
 * while a verify reads the site keeps its result (the clean write's compare-and-set loses).
 * The use case is driven directly (the job's queue and site limit are tested elsewhere), so each
 * verify's outcome and the rows it wrote are known exactly.
 */

const run = Math.random().toString(36).slice(2, 8);
const SITES = {
  open: { name: `cv-open-${run}`, profile: 'open' },
  expiring: { name: `cv-expiring-${run}`, profile: 'expiring-secrets', secretTtlSeconds: 86_400 },
} satisfies Record<string, SiteOptions>;
type SiteKey = keyof typeof SITES;

const FIRST_ATTEMPT = { number: 1, final: false };

describe('clean verify', () => {
  let broker: BrokerHarness;
  let prisma: PrismaService;
  let verify: VerifyClientUseCase;
  const registrationOf = {} as Record<
    SiteKey,
    { id: string; tenantId: string; healthSystemId: string; clientId: string }
  >;

  const job = (site: SiteKey) => {
    const { id, tenantId, healthSystemId } = registrationOf[site];
    return { tenantId: trustedTenantId(tenantId), registrationId: id, healthSystemId, reason: 'test' };
  };
  const row = (site: SiteKey) => prisma.registration.findUniqueOrThrow({ where: { id: registrationOf[site].id } });
  /** The rows a verify may write besides the registration: history, attempts, audit events, webhook events. */
  async function recordsOf(site: SiteKey) {
    const { id: registrationId, healthSystemId } = registrationOf[site];
    const [history, attempts, audit, webhooks] = await Promise.all([
      prisma.registrationTransition.count({ where: { registrationId } }),
      prisma.registrationAttempt.count({ where: { registrationId } }),
      prisma.auditEvent.count({ where: { registrationId } }),
      prisma.webhookEvent.count({ where: { healthSystemId } }),
    ]);
    return { history, attempts, audit, webhooks };
  }

  beforeAll(async () => {
    // The sweeps stay out of the way: every verify and rotation here is the test's own.
    broker = await startBroker({ VERIFY_INTERVAL_SECONDS: '86400', ROTATION_SWEEP_INTERVAL_SECONDS: '86400' });
    prisma = broker.worker!.get(PrismaService);
    verify = broker.worker!.get(VerifyClientUseCase);
    const siteIds = await broker.addSites(Object.values(SITES));
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Clean verify tenant');
    const http = () => broker.api.http();
    const appId = (
      await http()
        .post('/v1/apps')
        .set(auth)
        .send({
          name: 'Clean verify app',
          clientMetadata: {
            client_name: 'Clean verify',
            grant_types: ['client_credentials'],
            token_endpoint_auth_method: 'client_secret_basic',
            scope: 'system/*.rs',
            contacts: ['ops@clean-verify.example.com'],
          },
        })
        .expect(201)
    ).body.id;
    const onboarding = await http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `clean-verify-${run}`)
      .send({ healthSystemIds: [...siteIds.values()] })
      .expect(202);
    expect((await waitForOnboarding(broker.api, auth, onboarding.body.id)).completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { appId });
    for (const key of Object.keys(SITES) as SiteKey[]) {
      const found = registrations.find((r) => r.healthSystemId === siteIds.get(SITES[key].name))!;
      expect({ key, state: found.state }).toEqual({ key, state: 'registered' });
      // The API does not show the tenant id: the row does.
      const stored = await prisma.registration.findUniqueOrThrow({ where: { id: found.id } });
      registrationOf[key] = {
        id: stored.id,
        tenantId: stored.tenantId,
        healthSystemId: stored.healthSystemId,
        clientId: stored.clientId!,
      };
      // The first read after registration records the site's management baseline: a change, recorded in full.
      expect(await verify.execute(job(key), FIRST_ATTEMPT)).toMatchObject({ state: 'registered', driftFields: [] });
      expect((await row(key)).managementBaseline).not.toBeNull();
    }
  }, 120_000);

  afterAll(async () => {
    await broker?.close();
  });

  it('writes only lastVerifiedAt when nothing changed: no history, attempt, audit or webhook row', async () => {
    const before = await row('open');
    const records = await recordsOf('open');
    const result = await verify.execute(job('open'), FIRST_ATTEMPT);
    expect(result).toEqual({ state: 'registered', method: 'rfc7592', driftFields: [], usable: 'usable', clean: true });
    const after = await row('open');
    expect(await recordsOf('open')).toEqual(records);
    expect(after.lastVerifiedAt!.getTime()).toBeGreaterThan(before.lastVerifiedAt!.getTime());
    // Nothing else moved: not even updatedAt (the reconciler's "no progress since" reads it).
    expect({ ...after, lastVerifiedAt: null }).toEqual({ ...before, lastVerifiedAt: null });
  });

  it('records drift in full: history, attempt and audit rows, as before', async () => {
    const { clientId } = registrationOf.open;
    await fetch(`${broker.sandbox.url}/sandbox/sites/${SITES.open.name}/clients/${clientId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Renamed by the EHR admin' }),
    }).then((r) => expect(r.status).toBe(200));
    const records = await recordsOf('open');
    const result = await verify.execute(job('open'), FIRST_ATTEMPT);
    expect(result).toMatchObject({ state: 'registered', driftFields: ['client_name'] });
    expect(result).not.toHaveProperty('clean');
    // registered -> verifying -> registered, one verify attempt, its audit event.
    expect(await recordsOf('open')).toEqual({
      ...records,
      history: records.history + 2,
      attempts: records.attempts + 1,
      audit: records.audit + 1,
    });
    const attempt = await prisma.registrationAttempt.findFirstOrThrow({
      where: { registrationId: registrationOf.open.id },
      orderBy: { startedAt: 'desc' },
    });
    expect(attempt).toMatchObject({ action: 'verify', outcome: 'succeeded' });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { registrationId: registrationOf.open.id },
      orderBy: { at: 'desc' },
    });
    expect(audit).toMatchObject({ action: 'registration.verified', outcome: 'success' });
    expect(audit.details).toMatchObject({ driftFields: ['client_name'] });
    expect((await row('open')).drift).toEqual([
      expect.objectContaining({ field: 'client_name', actual: 'Renamed by the EHR admin' }),
    ]);

    // Still drifted: the row already says so, and the full protocol records each such verify.
    const again = await recordsOf('open');
    expect(await verify.execute(job('open'), FIRST_ATTEMPT)).toMatchObject({ driftFields: ['client_name'] });
    expect((await recordsOf('open')).history).toBe(again.history + 2);
  });

  it('keeps the result of a rotation that ran between a clean read and its write (ABA)', async () => {
    const ledger = broker.worker!.get<RegistrationLedger>(REGISTRATION_LEDGER);
    const rotate = broker.worker!.get(RotateSecretUseCase);
    const before = await row('expiring');
    const historyBefore = (await recordsOf('expiring')).history;
    const write = ledger.write.bind(ledger);
    let rotation: unknown;
    // The rotation runs to its end (registered -> rotating -> registered) after the verify read
    // the site and found nothing new, just before the verify writes `lastVerifiedAt`.
    const spy = jest.spyOn(ledger, 'write').mockImplementation(async (step) => {
      if (step.kind === 'clean_verify' && rotation === undefined) {
        rotation = await rotate.execute(job('expiring'), FIRST_ATTEMPT);
      }
      return write(step);
    });
    try {
      expect(await verify.execute(job('expiring'), FIRST_ATTEMPT)).toBe('superseded');
    } finally {
      spy.mockRestore();
    }
    expect(rotation).toMatchObject({ method: 'rfc7592_put', tested: true });
    await expectRotationStands(before, historyBefore);

    // The next verify sees the rotated client as it is, and nothing new: clean.
    expect(await verify.execute(job('expiring'), FIRST_ATTEMPT)).toMatchObject({ clean: true });
  });

  it('records from a fresh read when a rotation ran while the verify read the site', async () => {
    const usability = broker.worker!.get(UsabilityCheck);
    const rotate = broker.worker!.get(RotateSecretUseCase);
    const before = await row('expiring');
    const check = usability.check.bind(usability);
    let raced = false;
    let rotation: unknown;
    // The rotation runs just before the verify's token request: the verify then tests a secret
    // the site no longer takes (not clean), and goes through the full protocol from the row as
    // the rotation left it.
    const spy = jest.spyOn(usability, 'check').mockImplementation(async (...args) => {
      // The rotation's own token request comes through here too: it runs once.
      if (!raced) {
        raced = true;
        rotation = await rotate.execute(job('expiring'), FIRST_ATTEMPT);
      }
      return check(...args);
    });
    const records = await recordsOf('expiring');
    try {
      expect(await verify.execute(job('expiring'), FIRST_ATTEMPT)).toMatchObject({
        state: 'registered',
        usable: 'usable',
      });
    } finally {
      spy.mockRestore();
    }
    expect(rotation).toMatchObject({ method: 'rfc7592_put', tested: true });
    // The rotation's moves and the verify's, each with its attempt.
    expect(await recordsOf('expiring')).toMatchObject({
      history: records.history + 4,
      attempts: records.attempts + 2,
    });
    const after = await row('expiring');
    expect(after.credentialVersion).not.toBe(before.credentialVersion);
    // (The site counts expiry in seconds: two rotations within one second give the same.)
    expect(after.clientSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before.clientSecretExpiresAt!.getTime());
  });

  /** The rotation's result stands: its new secret and expiry, and the verify wrote nothing over them. */
  async function expectRotationStands(before: Awaited<ReturnType<typeof row>>, historyBefore: number): Promise<void> {
    const after = await row('expiring');
    expect(after.state).toBe('registered');
    expect(after.credentialVersion).not.toBe(before.credentialVersion);
    // (The site counts expiry in seconds: two rotations within one second give the same.)
    expect(after.clientSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before.clientSecretExpiresAt!.getTime());
    expect(after.lastVerifiedAt).toEqual(before.lastVerifiedAt);
    const history = await prisma.registrationTransition.findMany({
      where: { registrationId: registrationOf.expiring.id },
      orderBy: { at: 'asc' },
    });
    // The rotation's two moves, and none of the verify.
    expect(history.slice(historyBefore).map((entry) => entry.toState)).toEqual(['rotating', 'registered']);
  }
});
