import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import { backendMetadata, LifecycleDriver, waitFor, type Json } from './support/lifecycle-driver.js';

/**
 * The whole lifecycle (register, verify, update, rotate, offboard) against sites that answer
 * the way independent RFC 7591/7592 servers do, not the way oidc-provider does: thin RFC 7592
 * answers, array shapes, "" / [] for absent members, vendor members, a new secret on every PUT
 * (or none), a registration access token rotated on every call, 200 instead of 201 / 204, bare
 * 401/403, tokens narrower than the registration, no RFC 7592. A working client never ends
 * `failed`, no drift is reported for an untouched client, the served secret always gets a token,
 * and offboarding leaves nothing where RFC 7592 exists.
 */

const run = Math.random().toString(36).slice(2, 8);
const SITES = {
  thin: {
    name: `io-thin-${run}`,
    profile: 'open',
    quirks: { thinManagementAnswers: true, arrayShapes: true, emptyForAbsent: true, extraMembers: true },
  },
  renew: {
    name: `io-renew-${run}`,
    profile: 'open',
    secretTtlSeconds: 3600,
    quirks: {
      secretOnPut: 'renew',
      registrationAccessTokenRotation: 'every_call',
      thinManagementAnswers: true,
      arrayShapes: true,
    },
  },
  keep: { name: `io-keep-${run}`, profile: 'open', quirks: { secretOnPut: 'keep' } },
  extend: { name: `io-extend-${run}`, profile: 'open', secretTtlSeconds: 3600, quirks: { secretOnPut: 'keep' } },
  bare: {
    name: `io-bare-${run}`,
    profile: 'open',
    quirks: {
      registrationStatus200: true,
      deleteAnswers200Empty: true,
      bareAuthErrors: true,
      tokenScopes: ['system/Patient.rs'],
      scopeRefusal: 'forbidden_empty',
    },
  },
  refused: {
    name: `io-refused-${run}`,
    profile: 'open',
    quirks: { tokenScopes: ['system/Observation.rs'], scopeRefusal: 'forbidden_empty', bareAuthErrors: true },
  },
  nomgmt: {
    name: `io-nomgmt-${run}`,
    profile: 'open',
    quirks: { noManagement: true, arrayShapes: true, extraMembers: true },
  },
} satisfies Record<string, SiteOptions>;
type SiteKey = keyof typeof SITES;
const KEYS = Object.keys(SITES) as SiteKey[];
const WITH_7592: SiteKey[] = ['thin', 'renew', 'keep', 'extend', 'bare', 'refused'];
/** The scope a token request with the served credential may get at each site. */
const tokenScope = (site: SiteKey) => (site === 'bare' ? 'system/Patient.rs' : 'system/*.rs');

describe('lifecycle against servers that differ from the sandbox default', () => {
  let driver: LifecycleDriver;
  const registration = {} as Record<SiteKey, Json>;

  beforeAll(async () => {
    driver = await LifecycleDriver.start();
    await driver.createApp(backendMetadata('Interop v1'));
    const bySite = await driver.onboard(Object.values(SITES), `interop-${run}`);
    for (const key of KEYS) {
      registration[key] = bySite.get(SITES[key].name)!;
      expect({ key, state: registration[key].state }).toEqual({ key, state: 'registered' });
    }
  }, 120_000);

  afterAll(async () => {
    await driver?.close();
  });

  /** The served credential gets a token at every site that grants one. */
  async function expectServedCredentialsWork(sites: SiteKey[] = KEYS.filter((key) => key !== 'refused')) {
    for (const site of sites) {
      const token = await driver.tokenWithServedCredentials(registration[site].id, tokenScope(site));
      expect({ site, status: token.status }).toEqual({ site, status: 200 });
    }
  }

  it('verifies every site twice: registered, no drift, a missing member never a failure', async () => {
    for (const site of KEYS) {
      for (const round of [1, 2]) {
        const verified = await driver.act(registration[site].id, 'verify');
        const drift = (verified.drift ?? []).filter((entry: Json) => entry.field !== 'token_scope');
        expect({ site, round, state: verified.state, drift, lastError: verified.lastError }).toEqual({
          site,
          round,
          state: 'registered',
          drift: [],
          lastError: null,
        });
      }
    }
    await expectServedCredentialsWork();
  }, 120_000);

  it('records the scope a token actually grants, and treats a refused scope (bare 403) as inconclusive', async () => {
    const bare = await driver.detail(registration.bare.id);
    expect(bare.drift).toEqual([
      {
        field: 'token_scope',
        expected: 'system/*.rs system/Patient.rs',
        actual: 'system/Patient.rs',
        kind: 'narrowed',
      },
    ]);
    const refused = await driver.auditOf(registration.refused.id);
    // The first verify recorded the answer (with the site's baseline); the later rounds found
    // nothing new, and a clean verify writes no audit event (only lastVerifiedAt).
    const verified = refused.filter((event) => event.action === 'registration.verified');
    expect(verified.length).toBeGreaterThanOrEqual(1);
    expect(verified.at(-1)!.details).toMatchObject({ usable: 'not_tested' });
    expect(String(verified.at(-1)!.details.notTestedBecause)).toMatch(/HTTP 403/);
  });

  it('spots a change made at the site (after the first read set the baseline), also on a thin server', async () => {
    const { clientId } = registration.thin;
    const patched = await fetch(`${driver.broker.sandbox.url}/sandbox/sites/${SITES.thin.name}/clients/${clientId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Renamed by the EHR admin', contacts: null }),
    });
    expect(patched.status).toBe(200);
    const verified = await driver.act(registration.thin.id, 'verify');
    expect(verified.state).toBe('registered');
    expect(verified.drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'client_name', actual: 'Renamed by the EHR admin', kind: 'replaced' }),
        expect.objectContaining({ field: 'contacts', kind: 'removed' }),
      ]),
    );
    expect(verified.drift).toHaveLength(2);
  }, 60_000);

  it('updates every site with the canonical document; the same server refuses its own array shape on PUT', async () => {
    const ids = KEYS.map((key) => registration[key].id);
    const oldNoManagementClient = registration.nomgmt.clientId;
    const updated = await driver.updateApp(backendMetadata('Interop v2'), ids);
    for (const [index, site] of KEYS.entries()) {
      const row = updated[index];
      expect({ site, state: row.state, lastError: row.lastError }).toEqual({
        site,
        state: 'registered',
        lastError: null,
      });
      const atSite = (await driver.clientsAt(SITES[site].name)).find((client) => client.client_id === row.clientId);
      expect({ site, name: atSite?.client_name }).toEqual({ site, name: 'Interop v2' });
      registration[site] = row;
    }
    expect(registration.nomgmt.clientId).not.toBe(oldNoManagementClient);
    await expectServedCredentialsWork();
    // An update is not drift: verify again sees nothing.
    for (const site of WITH_7592) {
      const verified = await driver.act(registration[site].id, 'verify');
      const drift = (verified.drift ?? []).filter((entry: Json) => entry.field !== 'token_scope');
      expect({ site, state: verified.state, drift }).toEqual({ site, state: 'registered', drift: [] });
    }
  }, 150_000);

  it('rotates: a new secret from PUT where the site renews it, a new client where it keeps it (previousClientId)', async () => {
    const before = Object.fromEntries(KEYS.map((key) => [key, registration[key].clientId]));
    const expiryBefore = Object.fromEntries(KEYS.map((key) => [key, registration[key].clientSecretExpiresAt]));
    for (const site of KEYS.filter((key) => key !== 'refused')) {
      const rotated = await driver.act(registration[site].id, 'rotate');
      expect({ site, state: rotated.state, lastError: rotated.lastError }).toEqual({
        site,
        state: 'registered',
        lastError: null,
      });
      registration[site] = rotated;
    }
    // renew: same client, new secret; keep: the site can renew only by registering again;
    // extend: same client and secret, a later expiry (the one the site's PUT answered).
    expect(registration.renew.clientId).toBe(before.renew);
    expect(registration.extend.clientId).toBe(before.extend);
    expect(new Date(registration.extend.clientSecretExpiresAt).getTime()).toBeGreaterThan(
      new Date(expiryBefore.extend).getTime(),
    );
    expect(registration.keep.clientId).not.toBe(before.keep);
    const keepAudit = await driver.auditOf(registration.keep.id);
    expect(keepAudit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'registration.secret_rotated',
          details: expect.objectContaining({ previousClientId: before.keep, method: 're_registration' }),
        }),
      ]),
    );
    const events = await driver.webhookEvents(registration.keep.healthSystemId);
    const rotatedEvent = events.filter((event) => event.type === 'registration.secret_rotated').at(-1);
    expect(JSON.stringify(rotatedEvent)).toContain(before.keep);
    // The event says the client was replaced, not only that a secret changed.
    expect(JSON.stringify(rotatedEvent)).toContain('"clientReplaced":true');
    await expectServedCredentialsWork();
    // RFC 7592 sites hold exactly the client the row names (the replaced one was deleted).
    for (const site of WITH_7592) {
      const clients = await driver.clientsAt(SITES[site].name);
      expect({ site, clients: clients.map((client) => client.client_id) }).toEqual({
        site,
        clients: [registration[site].clientId],
      });
    }
  }, 150_000);

  it('offboards: zero clients where RFC 7592 exists, also with 200 + empty body on DELETE', async () => {
    const ids = KEYS.map((key) => registration[key].id);
    const rows = await driver.offboard(ids);
    expect(rows.map((row) => row.state)).toEqual(KEYS.map(() => 'deleted'));
    for (const site of WITH_7592) {
      expect({ site, clients: await driver.clientsAt(SITES[site].name) }).toEqual({ site, clients: [] });
    }
    // A deleted registration shows no lastError (it stays in the history).
    expect(rows.every((row) => row.lastError === null)).toBe(true);
  }, 90_000);
});

describe('a site that switches to a new secret at once and accepts it only later', () => {
  let driver: LifecycleDriver;
  const site = {
    name: `io-switch-${Math.random().toString(36).slice(2, 8)}`,
    profile: 'open',
    quirks: { secretOnPut: 'renew', tokenRefusedAfterUpdateMs: 3_000 },
  } satisfies SiteOptions;

  afterAll(async () => {
    await driver?.close();
  });

  it('serves the new secret (untested) when the old one is refused too, never the revoked one', async () => {
    driver = await LifecycleDriver.start();
    await driver.createApp(backendMetadata('Switch v1'));
    const row = (await driver.onboard([site], `switch-${site.name}`)).get(site.name)!;
    expect(row.state).toBe('registered');
    const rotated = await driver.act(row.id, 'rotate');
    expect(rotated).toMatchObject({ state: 'registered', clientId: row.clientId });
    expect(rotated.lastError).toMatchObject({ error: 'new_credential_unproven' });
    // Once the site accepts it, the served secret works: it is the one the site switched to.
    const token = await waitFor(
      () => driver.tokenWithServedCredentials(row.id, 'system/*.rs'),
      (answer) => answer.status === 200,
      15_000,
    );
    expect(token.status).toBe(200);
    const verified = await driver.act(row.id, 'verify');
    expect(verified).toMatchObject({ state: 'registered', lastError: null });
  }, 120_000);
});
