import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeSecretsManager } from '../libs/secrets/src/testing/fake-secrets-manager.js';
import {
  ALL_SCOPES,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { validAppBody } from './support/api-harness.js';
import { waitFor } from './support/lifecycle-driver.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

/**
 * Version churn (issue 11 item 10): a site that rotates the registration access token on every
 * RFC 7592 call (Keycloak does) must not add a version to the client secret's secret per call.
 * A real worker process and the in-process API both talk to the Secrets Manager fake over HTTP
 * (`SECRETS_MANAGER_ENDPOINT`), so versions are counted where AWS would count them.
 */
const CALLS = 4;

/** The fake behind an HTTP endpoint, so that a separate worker process can reach it. */
async function serveFake(fake: FakeSecretsManager): Promise<{ url: string; server: Server }> {
  const handler = fake.requestHandler();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handler
        .handle({
          headers: request.headers as Record<string, string | undefined>,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        .then(({ response: answer }) => {
          response.writeHead(answer.statusCode, answer.headers);
          response.end(Buffer.from(answer.body));
        })
        .catch(() => response.destroy()); // a network-level failure, as the fake's outage means
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('version churn: a token rotated on every management call stays out of the client secret', () => {
  const fake = new FakeSecretsManager();
  let endpoint: { url: string; server: Server };
  let broker: BrokerHarness;
  let worker: WorkerProcess;

  const savedEnv = { ...process.env };

  beforeAll(async () => {
    endpoint = await serveFake(fake);
    // The in-process API's SDK client takes its credentials from the environment, as in production.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    broker = await startBroker(
      {
        SECRETS_BACKEND: 'aws',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        SECRETS_MANAGER_ENDPOINT: endpoint.url,
        SECRETS_WRITE_RATE_PER_SECOND: '50',
      },
      { inProcessWorker: false },
    );
    worker = await startWorkerProcess(broker.env);
  }, 90_000);

  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await broker?.close();
    await new Promise((resolve) => endpoint?.server.close(resolve));
    process.env = savedEnv;
  });

  const versionsEndingWith = (suffix: string) => {
    const secrets = [...fake.secrets.values()].filter((secret) => secret.name.endsWith(suffix));
    expect(secrets).toHaveLength(1);
    return secrets[0]!.versions.size;
  };

  it(`${CALLS} management calls make ${CALLS} versions of the management secret and none of the client secret`, async () => {
    const site = `churn-${Date.now().toString(36)}`;
    const ids = await broker.addSites([
      { name: site, profile: 'open', quirks: { registrationAccessTokenRotation: 'every_call' } },
    ]);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES);
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const onboarding = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', `churn-${site}`)
      .send({ healthSystemIds: [...ids.values()] })
      .expect(202);
    expect((await waitForOnboarding(broker.api, auth, onboarding.body.id, 60_000)).completed).toBe(true);
    const [registration] = await listRegistrations(broker.api, auth, { onboardingId: onboarding.body.id });
    expect(registration!.state).toBe('registered');
    // Registration stores the new client in one write, its first token inside.
    expect(versionsEndingWith('/client')).toBe(1);
    expect([...fake.secrets.values()].some((secret) => secret.name.endsWith('/client/management'))).toBe(false);
    const served = (
      await broker.api.http().get(`/v1/registrations/${registration!.id}/credentials`).set(auth).expect(200)
    ).body;

    const detail = async () =>
      (await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200)).body;
    for (let call = 1; call <= CALLS; call++) {
      const before = (await detail()).history.length;
      await broker.api.http().post(`/v1/registrations/${registration!.id}/verify`).set(auth).expect(202);
      const after = await waitFor(detail, (d) => d.history.length >= before + 2 && d.state !== 'verifying');
      // Each verify is one RFC 7592 read, answered with a new token the broker must keep: the
      // next call only works with it.
      expect({ call, state: after.state, lastError: after.lastError }).toEqual({
        call,
        state: 'registered',
        lastError: null,
      });
    }

    expect(versionsEndingWith('/client/management')).toBe(CALLS);
    expect(versionsEndingWith('/client')).toBe(1);
    // What the tenant is served did not move.
    const now = (await broker.api.http().get(`/v1/registrations/${registration!.id}/credentials`).set(auth).expect(200))
      .body;
    expect([now.clientId, now.clientSecret]).toEqual([served.clientId, served.clientSecret]);

    // Offboarding deletes both secrets.
    await broker.api.http().delete(`/v1/apps/${app.body.id}`).set(auth).expect(202);
    await waitFor(detail, (d) => d.state === 'deleted');
    const left = [...fake.secrets.values()].filter(
      (secret) => secret.name.endsWith('/client') || secret.name.endsWith('/client/management'),
    );
    expect(left.map((secret) => secret.scheduledForDeletion)).toEqual([true, true]);
  }, 120_000);
});
