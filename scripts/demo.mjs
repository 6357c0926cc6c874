#!/usr/bin/env node
// Seeds a demo through the public API (run by `npm start` once the API is ready): the
// sandbox's sites as health systems, a demo tenant with an API key, an app, and an
// onboarding of the app at every site. Then waits for the registrations and prints where
// to look. A second start reuses what .data/demo.json remembers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const api = process.env.API_URL ?? 'http://localhost:3000';
const sandbox = `http://127.0.0.1:${process.env.SANDBOX_PORT ?? 4000}`;
const operator = { authorization: `Bearer ${process.env.OPERATOR_TOKEN}`, 'content-type': 'application/json' };
const STATE_FILE = '.data/demo.json';
const log = (message) => console.log(`[demo] ${message}`);

async function call(method, path, headers, body) {
  const response = await fetch(`${api}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { status: response.status, body: json };
}

async function healthSystems() {
  const { sites } = await (await fetch(`${sandbox}/sandbox/sites`)).json();
  const existing = (await call('GET', '/v1/admin/health-systems?limit=200', operator)).body.items;
  const ids = [];
  for (const site of sites.filter((s) => !s.name.startsWith('extra-'))) {
    const found = existing.find((hs) => hs.fhirBaseUrl === site.fhirBaseUrl);
    if (found) {
      ids.push(found.id);
      continue;
    }
    const created = await call('POST', '/v1/admin/health-systems', operator, {
      name: `Sandbox ${site.name} (${site.profile})`,
      fhirBaseUrl: site.fhirBaseUrl,
      vendor: 'sandbox',
      initialAccessToken: site.initialAccessToken ?? null,
    });
    ids.push(created.body.id);
  }
  return ids;
}

async function seed() {
  const healthSystemIds = await healthSystems();
  log(`${healthSystemIds.length} sandbox health systems in the directory`);
  const tenant = (await call('POST', '/v1/admin/tenants', operator, { name: 'Demo Health Apps' })).body;
  const key = (
    await call('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, operator, {
      name: 'demo',
      scopes: ['apps:read', 'apps:write', 'onboardings:write', 'registrations:read', 'registrations:write', 'credentials:read', 'audit:read'],
    })
  ).body;
  const tenantHeaders = { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' };
  const app = (
    await call('POST', '/v1/apps', tenantHeaders, {
      name: 'Demo Growth Chart',
      clientMetadata: {
        client_name: 'Demo Growth Chart',
        redirect_uris: ['https://growth-chart.example.com/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'launch openid fhirUser patient/*.rs offline_access',
        contacts: ['ops@growth-chart.example.com'],
        software_id: 'demo-growth-chart',
        software_version: '1.0.0',
      },
    })
  ).body;
  const onboarding = await fetch(`${api}/v1/apps/${app.id}/onboardings`, {
    method: 'POST',
    headers: { ...tenantHeaders, 'idempotency-key': `demo-${app.id}` },
    body: JSON.stringify({ healthSystemIds }),
  });
  const accepted = await onboarding.json();
  const udap = await seedUdap(tenantHeaders, healthSystemIds[0]); // issue 15
  const state = { tenantId: tenant.id, apiKey: key.token, appId: app.id, onboardingId: accepted.id, ...udap };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/**
 * UDAP (issue 15): a sandbox UDAP site and its trust community, a client_credentials app with a
 * UDAP certificate (broker key + CSR signed by the sandbox's community CA), onboarded to the UDAP
 * site and one plain site. The sandbox makes a new PKI at each start, so this runs on the first
 * start only (as the rest of the seed).
 */
async function seedUdap(tenantHeaders, plainHealthSystemId) {
  const sandboxCall = async (method, path, body) => {
    const response = await fetch(`${sandbox}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return { status: response.status, body: await response.json() };
  };
  let site = await sandboxCall('POST', '/udap/sites', { name: 'udap-1', b2b: 'supported' });
  if (site.status === 409) site = { body: (await sandboxCall('GET', '/udap/sites')).body.sites.find((s) => s.name === 'udap-1') };
  const community = (await sandboxCall('GET', '/udap/community')).body;
  const healthSystem = (await call('POST', '/v1/admin/health-systems', operator, { name: 'Sandbox udap-1 (UDAP)', fhirBaseUrl: site.body.fhirBaseUrl, vendor: 'sandbox' })).body;
  const trust = (await call('POST', '/v1/admin/udap/communities', operator, { uri: community.uri, name: 'Sandbox UDAP community', trustAnchors: community.trustAnchors })).body;
  await call('PUT', `/v1/admin/health-systems/${healthSystem.id}/udap`, operator, { communityId: trust.id });
  const app = (
    await call('POST', '/v1/apps', tenantHeaders, {
      name: 'Demo B2B (UDAP)',
      keyManagement: 'managed',
      clientMetadata: { client_name: 'Demo B2B (UDAP)', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs', contacts: ['ops@b2b.example.com'] },
    })
  ).body;
  await call('PUT', `/v1/apps/${app.id}/udap/settings`, tenantHeaders, { b2b: { organization_id: 'https://b2b.example.com', organization_name: 'Demo B2B', purpose_of_use: ['urn:oid:2.16.840.1.113883.5.8#TREAT'] } });
  const certificate = (await call('POST', `/v1/apps/${app.id}/udap/certificates`, tenantHeaders, { communityId: trust.id, sanUri: 'https://b2b.example.com/demo-udap-app' })).body;
  const signed = (await sandboxCall('POST', '/udap/ca/sign', { csr: certificate.csr })).body;
  await call('PUT', `/v1/udap/certificates/${certificate.id}/chain`, tenantHeaders, { chain: signed.chain });
  const onboarding = await fetch(`${api}/v1/apps/${app.id}/onboardings`, {
    method: 'POST',
    headers: { ...tenantHeaders, 'idempotency-key': `demo-udap-${app.id}` },
    body: JSON.stringify({ healthSystemIds: [healthSystem.id, plainHealthSystemId] }),
  });
  log(`UDAP: community ${community.uri}, site ${site.body.fhirBaseUrl}, app ${app.id} with certificate ${certificate.id}`);
  return { udapAppId: app.id, udapOnboardingId: (await onboarding.json()).id };
}

/**
 * A second start: the broker remembers its registrations, but a sandbox that does not keep its
 * clients (it holds them in memory) has forgotten them. Each registered client is looked up at
 * the sandbox; those it no longer knows are named as stale (never shown as working) and a
 * verify is asked for each, so the broker's own state says so too.
 */
async function reportStale(state) {
  const headers = { authorization: `Bearer ${state.apiKey}`, 'content-type': 'application/json' };
  const registrations = [];
  for (const onboardingId of [state.onboardingId, state.udapOnboardingId].filter(Boolean)) {
    const page = (await call('GET', `/v1/registrations?onboardingId=${onboardingId}&limit=200`, headers)).body;
    registrations.push(...page.items);
  }
  const { sites } = await (await fetch(`${sandbox}/sandbox/sites`)).json();
  const siteByUrl = new Map(sites.map((site) => [site.fhirBaseUrl, site.name]));
  const directory = (await call('GET', '/v1/admin/health-systems?limit=200', operator)).body.items;
  const siteOf = new Map(directory.map((hs) => [hs.id, siteByUrl.get(hs.fhirBaseUrl)]));
  const clientsAt = new Map();
  for (const site of sites) {
    const response = await fetch(`${sandbox}/sandbox/sites/${encodeURIComponent(site.name)}/clients`);
    if (response.ok) clientsAt.set(site.name, new Set(((await response.json()).clients ?? []).map((c) => c.client_id)));
  }
  const registered = registrations.filter((r) => r.state === 'registered' && r.clientId);
  // Only sites the sandbox lists its clients for (its UDAP sites are not among them).
  const checkable = registered.filter((r) => clientsAt.has(siteOf.get(r.healthSystemId)));
  const stale = checkable.filter((r) => !clientsAt.get(siteOf.get(r.healthSystemId)).has(r.clientId));
  const unchecked = registered.length - checkable.length;
  if (unchecked) log(`${unchecked} registered demo client(s) at UDAP sites not checked (the sandbox does not list them)`);
  if (!stale.length) {
    log(`${checkable.length} registered demo clients checked: the sandbox knows every one`);
    return;
  }
  log(
    `STALE: ${stale.length} of ${checkable.length} registered demo clients are unknown to the sandbox ` +
      '(it restarted and lost its clients); they do not work until registered again',
  );
  for (const registration of stale) {
    log(`  stale: registration ${registration.id} client ${registration.clientId}: verify requested`);
    await call('POST', `/v1/registrations/${registration.id}/verify`, headers).catch((error) =>
      log(`  could not request a verify of ${registration.id}: ${error.message}`),
    );
  }
  log(`for a fresh demo: stop npm start, delete ${STATE_FILE} and start again (a new demo tenant is seeded)`);
}

const state = existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, 'utf8')) : await seed();
const tenantHeaders = { authorization: `Bearer ${state.apiKey}` };
let progress;
for (let i = 0; i < 120; i++) {
  progress = (await call('GET', `/v1/onboardings/${state.onboardingId}`, tenantHeaders)).body;
  if (progress.completed) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
log(`onboarding ${state.onboardingId} (as the broker records it; checked at the sandbox below): ${JSON.stringify(progress.counts)}${progress.completed ? '' : ' (still running)'}`);
if (state.udapOnboardingId) {
  let udapProgress;
  for (let i = 0; i < 60; i++) {
    udapProgress = (await call('GET', `/v1/onboardings/${state.udapOnboardingId}`, tenantHeaders)).body;
    if (udapProgress.completed) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`UDAP onboarding ${state.udapOnboardingId} (a UDAP site and a plain one): ${JSON.stringify(udapProgress.counts)}`);
}
await reportStale(state);
log('where to look (the demo API key is in .data/demo.json):');
log(`  console: ${api}/console (sign in with the demo API key, or the operator token from .data/dev.env)`);
log(`  curl -H "Authorization: Bearer $(jq -r .apiKey ${STATE_FILE})" ${api}/v1/onboardings/${state.onboardingId}`);
log(`  curl -H "Authorization: Bearer $(jq -r .apiKey ${STATE_FILE})" "${api}/v1/registrations?onboardingId=${state.onboardingId}"`);
log(`  sandbox clients per site: ${sandbox}/sandbox/sites   OpenAPI: ${api}/docs   queues: ${api}/admin/queues`);
