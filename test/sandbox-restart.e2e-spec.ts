import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SiteOptions } from '../apps/sandbox/src/sandbox.js';

/**
 * Honest restarts (issue 14 item 6): with a state file the sandbox keeps its sites' clients,
 * their registration access tokens and the sites' initial access tokens, so what a broker
 * registered before a restart still works after it (token request, RFC 7592 read, a new
 * registration with the same initial access token).
 */
type Json = Record<string, any>;

const SITES: SiteOptions[] = [
  { name: 'keep-open', profile: 'open' },
  { name: 'keep-iat', profile: 'iat' },
  { name: 'keep-rotating', profile: 'rotating-rat' },
];

async function register(registrationEndpoint: string, initialAccessToken?: string): Promise<Json> {
  const response = await fetch(registrationEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(initialAccessToken ? { authorization: `Bearer ${initialAccessToken}` } : {}),
    },
    body: JSON.stringify({ client_name: 'Kept app', grant_types: ['client_credentials'], scope: 'system/*.rs' }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Json;
}

async function tokenStatus(tokenEndpoint: string, client: Json): Promise<number> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.rs' }),
  });
  return response.status;
}

describe('sandbox restarts with a state file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
  const stateFile = join(folder, 'state.json');
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps clients, registration access tokens and initial access tokens; forgets them without one', async () => {
    const first = await startSandbox({ port: 0, sites: SITES, stateFile });
    const iat = first.site('keep-iat')!.initialAccessToken!;
    const clients = new Map<string, Json>();
    for (const site of SITES) {
      const info = first.site(site.name)!;
      clients.set(site.name, await register(info.registrationEndpoint, info.initialAccessToken));
    }
    // The rotating site hands out a new token on a read: the kept one must be the newest.
    const rotating = clients.get('keep-rotating')!;
    const read = await fetch(rotating.registration_client_uri, {
      headers: { authorization: `Bearer ${rotating.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    rotating.registration_access_token = ((await read.json()) as Json).registration_access_token;
    await first.close();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await startSandbox({ port: 0, sites: SITES, stateFile });
    try {
      expect(second.site('keep-iat')!.initialAccessToken).toBe(iat);
      for (const site of SITES) {
        const info = second.site(site.name)!;
        const client = clients.get(site.name)!;
        const listed = (await (await fetch(`${second.url}/sandbox/sites/${site.name}/clients`)).json()) as Json;
        expect(listed.clients.map((c: Json) => c.client_id)).toEqual([client.client_id]);
        expect({ site: site.name, token: await tokenStatus(info.tokenEndpoint, client) }).toEqual({
          site: site.name,
          token: 200,
        });
        // The registration client URI names the old port; the path is the same on the new one.
        const uri = new URL(client.registration_client_uri);
        const managed = await fetch(`${second.url}${uri.pathname}`, {
          headers: { authorization: `Bearer ${client.registration_access_token}` },
        });
        expect({ site: site.name, management: managed.status }).toEqual({ site: site.name, management: 200 });
      }
      await register(second.site('keep-iat')!.registrationEndpoint, iat);
    } finally {
      await second.close();
    }

    const forgetful = await startSandbox({ port: 0, sites: SITES });
    try {
      const listed = (await (await fetch(`${forgetful.url}/sandbox/sites/keep-open/clients`)).json()) as Json;
      expect(listed.clients).toEqual([]);
    } finally {
      await forgetful.close();
    }
  });
});
