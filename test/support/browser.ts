import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where `npm test` found or installed Debian's Chromium (scripts/chromium.mjs). */
export function chromiumPath(): string {
  const path =
    process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    throw new Error(
      "no Chromium for the browser tests: `npm test` installs Debian's chromium when run as root; otherwise run " +
        '`apt-get install chromium` or set CHROMIUM_PATH',
    );
  }
  return path;
}

/**
 * Headless Chromium through playwright-core with the system executable (no browser download).
 * The flags keep it from reaching the network on its own (updates, sync, field trials).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
