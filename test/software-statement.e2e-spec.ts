import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  ALL_SCOPES,
  startBroker,
  waitForOnboarding,
  listRegistrations,
  type BrokerHarness,
} from './support/broker-harness.js';
import { OPERATOR } from './support/api-harness.js';

// RSA key generation and several HTTP round trips per test: generous on a loaded 2-core machine.
jest.setTimeout(120_000);

/**
 * RFC 7591 §2.3 software statements on plain RFC 7591 sites (issue 15, item 7): sent only where
 * the site's policy requires one (operator setting), broker-signed with the app's managed key
 * (verifiable with the app's public JWKS) or supplied by the tenant; the site's
 * `invalid_software_statement` / `unapproved_software_statement` reported as such.
 */

/** A minimal RFC 7591 site: `verify` checks the statement with the app's JWKS; `refuse` answers unapproved. */
async function statementSite(jwksUri: () => string) {
  const received: Array<{ site: string; statement?: string; claims?: Record<string, unknown> }> = [];
  const server: Server = createServer(async (req, res) => {
    const [, site, ...rest] = (req.url ?? '').split('/');
    const path = rest.join('/');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${site}`;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === 'fhir/.well-known/smart-configuration') {
      return send(200, {
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
        capabilities: ['client-confidential-asymmetric'],
      });
    }
    if (req.method === 'POST' && path === 'register') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      const statement = typeof body.software_statement === 'string' ? body.software_statement : undefined;
      const entry: (typeof received)[number] = { site, statement };
      received.push(entry);
      if (!statement)
        return send(400, {
          error: 'invalid_software_statement',
          error_description: 'a software statement is required here',
        });
      if (site === 'refuse')
        return send(400, {
          error: 'unapproved_software_statement',
          error_description: 'this publisher is not approved',
        });
      try {
        decodeProtectedHeader(statement);
        const { payload } = await jwtVerify(statement, createRemoteJWKSet(new URL(jwksUri())));
        entry.claims = payload as Record<string, unknown>;
      } catch (error) {
        return send(400, { error: 'invalid_software_statement', error_description: String(error) });
      }
      return send(201, { client_id: `ss-${received.length}`, ...body, software_statement: undefined });
    }
    send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, port: (server.address() as AddressInfo).port };
}

describe('software statements for plain RFC 7591 registrations', () => {
  let broker: BrokerHarness;
  let site: Awaited<ReturnType<typeof statementSite>>;
  let auth: { Authorization: string };
  let appId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    let jwksUri = '';
    site = await statementSite(() => jwksUri);
    broker = await startBroker({ OUTBOUND_ALLOWED_HOSTS: `127.0.0.1` });
    for (const name of ['verify', 'refuse', 'optional']) {
      const created = await broker.api
        .http()
        .post('/v1/admin/health-systems')
        .set(OPERATOR)
        .send({ name: `ss-${name}`, fhirBaseUrl: `http://127.0.0.1:${site.port}/${name}/fhir` })
        .expect(201);
      ids[name] = created.body.id;
      if (name !== 'optional') {
        await broker.api
          .http()
          .put(`/v1/admin/health-systems/${ids[name]}/udap`)
          .set(OPERATOR)
          .send({ requiresSoftwareStatement: true })
          .expect(200);
      }
    }
    ({ auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Statements'));
    const app = await broker.api
      .http()
      .post('/v1/apps')
      .set(auth)
      .send({
        name: 'Signed',
        keyManagement: 'managed',
        clientMetadata: {
          client_name: 'Signed',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          scope: 'system/*.rs',
          software_id: 'signed-app',
        },
      })
      .expect(201);
    appId = app.body.id;
    jwksUri = `${broker.api.config.api.publicBaseUrl}/v1/public/apps/${appId}/jwks.json`;
    await broker.api.http().put(`/v1/apps/${appId}/software-statement`).set(auth).send({ mode: 'managed' }).expect(200);
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    site?.server.close();
  });

  it('sends a broker-signed statement where required, none elsewhere, and reports the refusal as such', async () => {
    const accepted = await broker.api
      .http()
      .post(`/v1/apps/${appId}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', 'statements')
      .send({ healthSystemIds: Object.values(ids) })
      .expect(202);
    expect((await waitForOnboarding(broker.api, auth, accepted.body.id, 60_000)).completed).toBe(true);
    const registrations = await listRegistrations(broker.api, auth, { onboardingId: accepted.body.id });
    const of = (name: string) => registrations.find((r) => r.healthSystemId === ids[name])!;
    expect(of('verify').state).toBe('registered');
    expect(of('refuse')).toMatchObject({
      state: 'failed',
      lastError: { error: 'unapproved_software_statement', retryable: false },
    });
    // The optional site got no statement (and here refuses registrations without one).
    expect(of('optional').lastError).toMatchObject({ error: 'invalid_software_statement' });
    expect(site.received.find((r) => r.site === 'optional')!.statement).toBeUndefined();
    const verified = site.received.find((r) => r.site === 'verify')!;
    expect(verified.claims).toMatchObject({
      client_name: 'Signed',
      software_id: 'signed-app',
      grant_types: ['client_credentials'],
    });
  });

  it('takes a tenant-supplied statement as write-only and refuses a value that is no JWT', async () => {
    const refused = await broker.api
      .http()
      .put(`/v1/apps/${appId}/software-statement`)
      .set(auth)
      .send({ mode: 'supplied', softwareStatement: 'not-a-jwt-at-all' })
      .expect(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const stored = await broker.api
      .http()
      .put(`/v1/apps/${appId}/software-statement`)
      .set(auth)
      .send({ mode: 'supplied', softwareStatement: 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.sig' })
      .expect(200);
    expect(stored.body).toEqual({ mode: 'supplied' });
    const app = await broker.api.http().get(`/v1/apps/${appId}`).set(auth).expect(200);
    expect(JSON.stringify(app.body)).not.toContain('eyJhbGciOiJub25lIn0');
  });
});
