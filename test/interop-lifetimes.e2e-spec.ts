import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import { backendMetadata, LifecycleDriver, sleep, waitFor, type Json } from './support/lifecycle-driver.js';

/**
 * Rotation timing follows each secret's own lifetime: a one-hour secret is not "expiring" at
 * every sweep under a 7-day window (which replaced the tenant's client every hour at a site that
 * renews secrets only by registering again), and a short secret is rotated once less than the
 * configured fraction of its lifetime is left. The reported expiry follows the site's answers.
 */

const run = Math.random().toString(36).slice(2, 8);
const SITES = {
  hour: { name: `lt-hour-${run}`, profile: 'open', secretTtlSeconds: 3600, quirks: { secretOnPut: 'keep' } },
  short: { name: `lt-short-${run}`, profile: 'open', secretTtlSeconds: 12, quirks: { secretOnPut: 'renew' } },
  never: { name: `lt-never-${run}`, profile: 'open' },
} satisfies Record<string, SiteOptions>;

describe('secret lifetimes from seconds to never', () => {
  let driver: LifecycleDriver;
  const row = {} as Record<keyof typeof SITES, Json>;

  beforeAll(async () => {
    // The default 7-day window; rotate when half of a secret's lifetime is left.
    driver = await LifecycleDriver.start({ ROTATION_SWEEP_INTERVAL_SECONDS: '1', ROTATION_REMAINING_FRACTION: '0.5' });
    await driver.createApp(backendMetadata('Lifetimes v1', 'system/*.rs'));
    const bySite = await driver.onboard(Object.values(SITES), `lifetimes-${run}`);
    for (const key of Object.keys(SITES) as Array<keyof typeof SITES>) {
      row[key] = bySite.get(SITES[key].name)!;
      expect(row[key].state).toBe('registered');
    }
  }, 90_000);

  afterAll(async () => {
    await driver?.close();
  });

  it('rotates the 12 s secret once half of it is left, and leaves the one-hour and never-expiring ones alone', async () => {
    const shortFirstExpiry = row.short.clientSecretExpiresAt;
    const rotated = await waitFor(
      () => driver.auditOf(row.short.id),
      (events) => events.filter((event: Json) => event.action === 'registration.secret_rotated').length >= 1,
      30_000,
    );
    expect(
      rotated.filter((event: Json) => event.action === 'registration.secret_rotated').length,
    ).toBeGreaterThanOrEqual(1);
    const short = await waitFor(
      () => driver.detail(row.short.id),
      (d) => d.state === 'registered' && d.clientSecretExpiresAt !== shortFirstExpiry,
    );
    // Same client, a new secret with the expiry the site's latest answer gave.
    expect(short.clientId).toBe(row.short.clientId);
    expect(new Date(short.clientSecretExpiresAt).getTime()).toBeGreaterThan(new Date(shortFirstExpiry).getTime());
    expect((await driver.tokenWithServedCredentials(row.short.id, 'system/*.rs')).status).toBe(200);

    // Several sweeps later the one-hour client was neither rotated nor replaced.
    await sleep(3_000);
    for (const key of ['hour', 'never'] as const) {
      const audit = await driver.auditOf(row[key].id);
      const rotations = audit.filter((event: Json) => event.action === 'registration.secret_rotated');
      const now = await driver.detail(row[key].id);
      expect({ key, rotations: rotations.length, clientId: now.clientId }).toEqual({
        key,
        rotations: 0,
        clientId: row[key].clientId,
      });
    }
  }, 60_000);
});
