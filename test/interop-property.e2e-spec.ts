import fc from 'fast-check';
import type { SiteOptions } from '../apps/sandbox/src/sandbox.js';
import type { SiteQuirks } from '../apps/sandbox/src/site-quirks.js';
import { backendMetadata, LifecycleDriver, type Json } from './support/lifecycle-driver.js';

/**
 * Property: for ANY combination of server variations, the lifecycle register → verify → update
 * → rotate → delete keeps its invariants, checked at every step against the sandbox's own view:
 * - a working client is never `failed`;
 * - every client at the site is named by the registration row or by a record the broker keeps
 *   (`client_left_at_site`: no RFC 7592 to delete it);
 * - the served secret always gets a token (with a scope the site grants in tokens);
 * - no drift is reported for an untouched client;
 * - offboarding leaves zero clients where RFC 7592 exists;
 * - the registration detail is one snapshot (its state is the last state of its history).
 * Each run gets a site of its own with the drawn variations, and an app of its own. Runs are
 * few (the whole file stays far below two minutes on a loaded machine); fast-check prints the
 * seed and the variation set of a failure, which replays it.
 */

const quirksArbitrary: fc.Arbitrary<SiteQuirks> = fc.record(
  {
    thinManagementAnswers: fc.boolean(),
    arrayShapes: fc.boolean(),
    emptyForAbsent: fc.boolean(),
    extraMembers: fc.boolean(),
    secretOnPut: fc.constantFrom('keep' as const, 'renew' as const),
    registrationAccessTokenRotation: fc.constantFrom('every_call' as const, 'never' as const),
    registrationStatus200: fc.boolean(),
    deleteAnswers200Empty: fc.boolean(),
    bareAuthErrors: fc.boolean(),
    tokenScopes: fc.constant(['system/Patient.rs']),
    noManagement: fc.boolean(),
  },
  { requiredKeys: [] },
);
const lifetimeArbitrary = fc.constantFrom(undefined, 3600, 365 * 24 * 3600);

describe('lifecycle invariants over random combinations of server variations', () => {
  let driver: LifecycleDriver;
  let runNumber = 0;

  beforeAll(async () => {
    driver = await LifecycleDriver.start();
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
  });

  it('holds for every drawn site', async () => {
    await fc.assert(
      fc.asyncProperty(quirksArbitrary, lifetimeArbitrary, async (quirks, secretTtlSeconds) => {
        runNumber += 1;
        const site: SiteOptions = {
          name: `prop-${runNumber}-${Math.random().toString(36).slice(2, 7)}`,
          profile: 'open',
          ...(secretTtlSeconds && { secretTtlSeconds }),
          quirks,
        };
        const with7592 = !quirks.noManagement;
        const scope = quirks.tokenScopes ? 'system/Patient.rs' : 'system/*.rs';
        await driver.createApp(backendMetadata(`Prop ${runNumber} v1`));
        const row = (await driver.onboard([site], `prop-${site.name}`)).get(site.name)!;

        const check = async (step: string, options: { untouched?: boolean } = {}) => {
          const detail = await driver.detail(row.id);
          const context = { step, quirks, secretTtlSeconds };
          expect({ ...context, state: detail.state, lastError: detail.lastError }).toEqual({
            ...context,
            state: 'registered',
            lastError: null,
          });
          expect({ ...context, last: detail.history.at(-1)?.toState }).toEqual({ ...context, last: detail.state });
          const token = await driver.tokenWithServedCredentials(row.id, scope);
          expect({ ...context, token: token.status }).toEqual({ ...context, token: 200 });
          const leftBehind = (await driver.auditOf(row.id))
            .filter((event: Json) => event.action === 'registration.client_left_at_site')
            .map((event: Json) => event.details.clientId);
          const atSite = (await driver.clientsAt(site.name)).map((client) => client.client_id);
          const unnamed = atSite.filter((id) => id !== detail.clientId && !leftBehind.includes(id));
          expect({ ...context, unnamed }).toEqual({ ...context, unnamed: [] });
          if (options.untouched) {
            const drift = (detail.drift ?? []).filter((entry: Json) => entry.field !== 'token_scope');
            expect({ ...context, drift }).toEqual({ ...context, drift: [] });
          }
          return detail;
        };

        await check('register');
        await driver.act(row.id, 'verify');
        await check('verify', { untouched: true });
        await driver.updateApp(backendMetadata(`Prop ${runNumber} v2`), [row.id]);
        await check('update');
        await driver.act(row.id, 'verify');
        await check('verify after update', { untouched: true });
        await driver.act(row.id, 'rotate');
        await check('rotate');
        await driver.act(row.id, 'verify');
        await check('verify after rotate', { untouched: true });

        const [deleted] = await driver.offboard([row.id]);
        expect({ quirks, state: deleted.state, lastError: deleted.lastError }).toEqual({
          quirks,
          state: 'deleted',
          lastError: null,
        });
        if (with7592) expect({ quirks, clients: await driver.clientsAt(site.name) }).toEqual({ quirks, clients: [] });
      }),
      {
        numRuns: 8,
        endOnFailure: true,
        // Found by this property: a PUT that rotated the registration access token, then a fallback
        // to re-registration that tried to delete the old client with the token from before the PUT.
        examples: [
          [
            {
              thinManagementAnswers: true,
              arrayShapes: true,
              emptyForAbsent: true,
              registrationAccessTokenRotation: 'every_call',
              registrationStatus200: true,
              deleteAnswers200Empty: true,
              bareAuthErrors: true,
              tokenScopes: ['system/Patient.rs'],
            },
            31_536_000,
          ],
        ],
      },
    );
  }, 150_000);
});
