import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { ALL_SCOPES, OPERATOR, startBroker, type BrokerHarness } from './support/broker-harness.js';
import { launchChromium } from './support/browser.js';
import { TEST_OPERATOR_TOKEN } from './support/test-config.js';

/**
 * The web console in a real Chromium (Debian's, driven by playwright-core) against the whole
 * broker: API, in-process worker, the sandbox EHR. Every step waits for what a person would
 * see; nothing sleeps. With CONSOLE_SCREENSHOTS=<folder> (`npm run docs:screenshots`) the main
 * pages are saved there as PNG files.
 */

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
/** Generous for a loaded 2-core machine: these are upper bounds of waits, not expectations. */
const WAIT = { timeout: 45_000 };
/** Each journey's own limit (Jest's per-test default is far shorter than a browser journey on a busy machine). */
const JOURNEY_MS = 240_000;

let broker: BrokerHarness;
let browser: Browser;
let receiver: { server: Server; url: string; received: number };
let consoleUrl: string;
const run = randomBytes(3).toString('hex');
const siteNames = { open: `clinic-${run}`, narrowing: `hospital-${run}`, wrongToken: `medical-center-${run}` };
let siteIds: Map<string, string>;

async function startReceiver() {
  const state = { server: createServer(), url: '', received: 0 };
  state.server.on('request', (request, response) => {
    request.resume();
    request.on('end', () => {
      state.received += 1;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/hooks`;
  return state;
}

async function screenshot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: false });
}

/** A new browser context (its own sessionStorage) on the console's sign-in page. */
async function openConsole(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  // Confirmations (delete, reveal credentials) are accepted, as a person clicking OK would.
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(consoleUrl);
  return page;
}

/** Signs in with the keyboard only: the field is found by its label, Enter submits the form. */
async function signIn(page: Page, token: string) {
  await page.getByLabel('Token or API key').fill(token);
  await page.getByLabel('Token or API key').press('Enter');
}

beforeAll(async () => {
  // The bundle the API serves, from the sources under test (esbuild: well under a second).
  const build = spawnSync(process.execPath, ['scripts/build-console.mjs'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`console build failed: ${build.stderr}`);
  receiver = await startReceiver();
  // Webhooks go to the receiver on loopback: any port of 127.0.0.1 is allowed for this suite.
  broker = await startBroker({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' });
  siteIds = await broker.addSites(
    [
      { name: siteNames.open, profile: 'open' },
      { name: siteNames.narrowing, profile: 'narrowing-scopes' },
      { name: siteNames.wrongToken, profile: 'iat' },
    ],
    // The broker holds a wrong initial access token for this site: its registration fails.
    {
      initialAccessToken: (site) =>
        site.name === siteNames.wrongToken ? 'not-the-token-the-site-wants' : site.initialAccessToken,
    },
  );
  // The first site's administrators listen for webhooks, so the onboarding leaves deliveries to replay.
  await broker.api
    .http()
    .post(`/v1/admin/health-systems/${siteIds.get(siteNames.open)}/webhooks`)
    .set(OPERATOR)
    .send({ url: receiver.url, description: 'console test receiver' })
    .expect(201);
  consoleUrl = `${broker.api.config.api.publicBaseUrl}/console`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  await new Promise((resolve) => receiver?.server.close(resolve));
});

describe('the web console', () => {
  it('is served with its content types and a strict Content-Security-Policy', async () => {
    const page = await broker.api.http().get('/console').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const script = await broker.api.http().get('/console/main.js').expect(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const styles = await broker.api.http().get('/console/styles.css').expect(200);
    expect(styles.headers['content-type']).toBe('text/css; charset=utf-8');
    const missing = await broker.api.http().get('/console/../package.json').expect(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
  });

  it(
    'tenant: signs in, onboards an app to three sites, watches it complete, reads why one failed',
    async () => {
      const tenant = await broker.api.tenantWithKey(ALL_SCOPES, `Console tenant ${run}`);
      const page = await openConsole();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on(
        'response',
        (response) => response.status() >= 400 && errors.push(`${response.status()} ${response.url()}`),
      );
      await screenshot(page, 'console-sign-in');
      await signIn(page, tenant.auth.Authorization.replace('Bearer ', ''));

      await page.getByRole('heading', { name: 'Apps' }).waitFor(WAIT);
      await page.getByLabel('Name', { exact: true }).fill('Growth Chart');
      await page.getByRole('button', { name: 'Create app' }).click();

      await page.getByRole('heading', { name: 'Growth Chart' }).waitFor(WAIT);
      await page.getByLabel('Find sites by name or URL').fill(run);
      for (const name of Object.values(siteNames)) await page.getByLabel(`Sandbox ${name}`).check();
      await screenshot(page, 'console-onboard');
      await page.getByRole('button', { name: 'Onboard to 3 sites' }).click();

      await page.getByRole('heading', { name: 'Onboarding progress' }).waitFor(WAIT);
      await page.getByTestId('onboarding-status').filter({ hasText: 'Completed' }).waitFor(WAIT);
      await page.locator('[data-state="registered"]').filter({ hasText: '2' }).waitFor(WAIT);
      await page.locator('[data-state="failed"]').filter({ hasText: '1' }).waitFor(WAIT);
      await screenshot(page, 'console-onboarding-progress');

      await page.getByRole('link', { name: `Sandbox ${siteNames.wrongToken}` }).click();
      const reason = page.getByTestId('last-error');
      await reason.waitFor(WAIT);
      expect(await reason.textContent()).toContain('initial access token');
      await page.getByRole('heading', { name: 'History' }).waitFor(WAIT);
      await screenshot(page, 'console-registration-failed');

      // The registrations list filters by state.
      await page.getByRole('link', { name: 'Registrations', exact: true }).click();
      await page.getByLabel('State').selectOption('failed');
      await page.getByRole('link', { name: `Sandbox ${siteNames.wrongToken}` }).waitFor(WAIT);
      await page.getByRole('link', { name: `Sandbox ${siteNames.open}` }).waitFor({ state: 'detached', ...WAIT });
      await page.getByLabel('State').selectOption('');
      await page.getByRole('link', { name: `Sandbox ${siteNames.narrowing}` }).waitFor(WAIT);
      await screenshot(page, 'console-registrations');

      // A narrowed grant shows requested vs granted.
      await page.getByRole('link', { name: `Sandbox ${siteNames.narrowing}` }).click();
      await page.getByRole('heading', { name: 'Requested vs granted' }).waitFor(WAIT);
      await page.getByRole('cell', { name: 'scope', exact: true }).waitFor(WAIT);
      await screenshot(page, 'console-registration');
      expect(errors).toEqual([]);
      await page.context().close();
    },
    JOURNEY_MS,
  );

  it(
    'operator: sees discovery status and replays a webhook delivery',
    async () => {
      const page = await openConsole();
      await signIn(page, TEST_OPERATOR_TOKEN);
      await page.getByRole('heading', { name: 'Health systems' }).waitFor(WAIT);
      await screenshot(page, 'console-operator-health-systems');
      await page.getByRole('link', { name: `Sandbox ${siteNames.open}` }).click();

      await page.getByRole('heading', { name: 'Deliveries' }).waitFor(WAIT);
      // The onboarding's registration event reached the receiver: replay it.
      const replay = page.getByRole('button', { name: 'Replay registration.created' }).first();
      await replay.waitFor(WAIT);
      const before = receiver.received;
      await replay.click();
      await page.locator('.badge', { hasText: 'replay' }).first().waitFor(WAIT);
      await page.getByRole('heading', { name: 'Webhooks', exact: true }).scrollIntoViewIfNeeded();
      await screenshot(page, 'console-operator-webhooks');
      expect(receiver.received).toBeGreaterThan(before);
      await page.context().close();
    },
    JOURNEY_MS,
  );

  it(
    'health-system administrator: gets a key from the operator and sees what is registered at the site',
    async () => {
      const operator = await openConsole();
      await signIn(operator, TEST_OPERATOR_TOKEN);
      await operator.getByRole('link', { name: `Sandbox ${siteNames.narrowing}` }).click();
      await operator.getByRole('button', { name: 'Issue administrator key' }).click();
      const token = (await operator.locator('pre.secret').textContent({ timeout: WAIT.timeout }))!.trim();
      expect(token).toMatch(/^srbh_/);
      await operator.context().close();

      const page = await openConsole();
      await signIn(page, token);
      await page.getByRole('heading', { name: `Registered at Sandbox ${siteNames.narrowing}` }).waitFor(WAIT);
      await page.getByRole('cell', { name: `Console tenant ${run}` }).waitFor(WAIT);
      await page.getByRole('cell', { name: 'Growth Chart', exact: true }).waitFor(WAIT);
      await screenshot(page, 'console-site-registrations');
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Your webhooks' }).waitFor(WAIT);
      await page.context().close();
    },
    JOURNEY_MS,
  );
});
