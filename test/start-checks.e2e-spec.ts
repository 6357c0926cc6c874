import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm start`'s checks before the build (issue 14 item 7), run as a user would: every
 * configuration problem in one pass, and a busy port as one line with a non-zero exit. Run in a
 * scratch folder, so the generated `.data/dev.env` does not land in the checkout.
 */
const START = resolve('scripts/start.mjs');

function start(env: Record<string, string>) {
  const folder = mkdtempSync(join(tmpdir(), 'start-checks-'));
  try {
    const { PATH, HOME } = process.env;
    return spawnSync(process.execPath, [START], {
      cwd: folder,
      env: { PATH: PATH ?? '', HOME: HOME ?? folder, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('npm start checks before building', () => {
  let busy: Server;
  let busyPort: number;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((listening) => busy.listen(0, listening));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise((closed) => busy.close(closed)));

  it('lists every configuration problem at once and stops with exit code 1', () => {
    const result = start({ OPERATOR_TOKEN: 'short', PORT: 'x', LOCAL_SECRETS_KEY: 'not-a-key' });
    expect(result.status).toBe(1);
    for (const variable of ['PORT', 'OPERATOR_TOKEN', 'LOCAL_SECRETS_KEY'])
      expect(result.stderr).toContain(`- ${variable}:`);
    expect(result.stdout).not.toMatch(/building|successfully started/);
  });

  it('says in one line that a port is busy and stops with exit code 1', () => {
    const result = start({ PORT: String(busyPort) });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `[start] port ${busyPort} (PORT) is in use by another process (an earlier npm start?): stop it or set PORT to a free port`,
    ]);
    expect(result.stdout).not.toMatch(/building|successfully started/);
  });
});
