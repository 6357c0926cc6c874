#!/usr/bin/env node
// Makes sure a Chromium is there for the console's browser tests (test/console.e2e-spec.ts) and
// `npm run docs:screenshots`: Debian's `chromium` package, driven by playwright-core. Playwright's
// own browser download cannot be used (it fetches from a host other than the package registries).
// In order: CHROMIUM_PATH, an installed chromium, apt-get install as root; otherwise the tests
// that need it say how to get it. Runnable alone: `node scripts/chromium.mjs`.
import { existsSync } from 'node:fs';
import { aptInstall } from './services.mjs';

const log = (message) => console.log(`[chromium] ${message}`);
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium executable, installed with apt when missing and possible; null when there is none. */
export function ensureChromium() {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (existsSync(configured)) return configured;
    log(`CHROMIUM_PATH=${configured} does not exist`);
    return null;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  try {
    if (aptInstall('chromium')) {
      const installed = CANDIDATES.find((path) => existsSync(path));
      if (installed) {
        log(`installed ${installed}`);
        return installed;
      }
    }
  } catch (error) {
    log(`apt-get install chromium failed: ${error.message}`);
  }
  log('no Chromium: install Debian\'s package (`apt-get install chromium`) or set CHROMIUM_PATH; the browser tests will fail');
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = ensureChromium();
  if (path) log(path);
  process.exit(path ? 0 : 1);
}
