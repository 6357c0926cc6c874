import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { startSandbox, type Sandbox } from '../apps/sandbox/src/sandbox.js';
import { validAppBody } from './support/api-harness.js';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { renderTraceTree, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { TEST_OPERATOR_TOKEN } from './support/test-config.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

/**
 * One onboarding, traced: the API and a worker run as real processes (instrumentation hooks
 * modules as a process loads them) and export over OTLP/HTTP to a receiver in this test,
 * configured only by the standard OTEL_* variables. The request carries a W3C `traceparent`,
 * so the trace id is known: every span of the registration must be in that one trace.
 */
describe('tracing across the API and worker processes', () => {
  const traceId = randomBytes(16).toString('hex');
  const querySecret = `query-secret-${randomBytes(8).toString('hex')}`;
  let receiver: OtlpReceiver;
  let sandbox: Sandbox;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let apiKeyToken: string;
  let initialAccessToken: string;
  let registrationId: string;

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    sandbox = await startSandbox({ port: 0 });
    const site = sandbox.addSite({ name: `traced-${randomBytes(3).toString('hex')}`, profile: 'iat' });
    initialAccessToken = site.initialAccessToken!;
    const env = {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `{trace-${randomBytes(4).toString('hex')}}`,
      OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${sandbox.port}`,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    api = await startApiProcess(env);
    worker = await startWorkerProcess({ ...env, PUBLIC_BASE_URL: api.url });

    const system = await call('POST', '/v1/admin/health-systems', TEST_OPERATOR_TOKEN, {
      name: 'Traced site',
      fhirBaseUrl: site.fhirBaseUrl,
      vendor: 'sandbox',
      initialAccessToken,
    });
    expect(system).toMatchObject({ status: 201 });
    const tenant = await call('POST', '/v1/admin/tenants', TEST_OPERATOR_TOKEN, { name: 'Traced tenant' });
    const key = await call('POST', `/v1/admin/tenants/${tenant.body.id}/api-keys`, TEST_OPERATOR_TOKEN, {
      name: 'traced key',
      scopes: ['apps:write', 'apps:read', 'onboardings:write', 'registrations:read'],
    });
    expect(key).toMatchObject({ status: 201 });
    apiKeyToken = key.body.token;
    const app = await call('POST', '/v1/apps', apiKeyToken, validAppBody());
    expect(app).toMatchObject({ status: 201 });
    const onboarding = await call(
      'POST',
      `/v1/apps/${app.body.id}/onboardings`,
      apiKeyToken,
      { healthSystemIds: [system.body.id] },
      { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'idempotency-key': `traced-${traceId}` },
    );
    expect(onboarding).toMatchObject({ status: 202 });

    // A query string with a secret-looking value: the API refuses it (400), and it must not reach a span.
    const refused = await call('GET', `/v1/onboardings/${onboarding.body.id}?access_token=${querySecret}`, apiKeyToken);
    expect(refused).toMatchObject({ status: 400 });
    const deadline = Date.now() + 90_000;
    let progress: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 300));
      progress = (await call('GET', `/v1/onboardings/${onboarding.body.id}`, apiKeyToken)).body;
    } while (!progress?.completed && Date.now() < deadline);
    expect(progress.completed).toBe(true);
    const registrations = await call('GET', `/v1/registrations?onboardingId=${onboarding.body.id}`, apiKeyToken);
    expect(registrations.body.items.map((item: any) => item.state)).toEqual(['registered']);
    registrationId = registrations.body.items[0].id;

    // Spans arrive in batches: wait until the worker's job span (it ends last) is in.
    await until(
      () => traced().some((span) => span.service === 'broker-worker' && span.name === 'process registration'),
      () =>
        receiver.spans
          .map(
            (span) =>
              `${span.traceId === traceId ? 'T' : '-'} ${span.service} ${span.name} ${JSON.stringify(span.attributes)}`,
          )
          .join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await api?.stop();
    await sandbox?.close();
    await receiver?.close();
  });

  const traced = (): ReceivedSpan[] => receiver.spans.filter((span) => span.traceId === traceId);
  const isOutboundTo = (span: ReceivedSpan, path: string) =>
    span.kind === 3 && String(span.attributes['url.full'] ?? span.attributes['http.url'] ?? '').includes(path);

  it('forms one trace from the onboarding request through the registration job', () => {
    const spans = traced();
    const services = new Set(spans.map((span) => span.service));
    expect(services).toEqual(new Set(['broker-api', 'broker-worker']));
    const names = spans.map((span) => `${span.service} ${span.name}`);
    // The request (server span), its PostgreSQL work and the job it enqueued...
    expect(names).toContain('broker-api POST');
    expect(spans.some((span) => span.service === 'broker-api' && span.name.startsWith('pg.query '))).toBe(true);
    expect(names).toContain('broker-api addBulk registration');
    // ...the worker processing that job, with the site's RFC 7591 call, PostgreSQL and the
    // secret store inside it.
    expect(names).toContain('broker-worker process registration');
    expect(
      spans.some((span) => span.service === 'broker-worker' && span.name === 'POST' && isOutboundTo(span, '/sites/')),
    ).toBe(true);
    expect(spans.some((span) => span.service === 'broker-worker' && span.name.startsWith('pg.query '))).toBe(true);
    expect(names).toContain('broker-worker secrets.put');
    // Every span hangs off another span of the trace, except the request's own (its parent is
    // the caller's traceparent): one tree, not fragments.
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
    expect(roots.map((span) => `${span.service} ${span.name}`)).toEqual(['broker-api POST']);
    if (process.env.TRACE_TREE_OUT) writeFileSync(process.env.TRACE_TREE_OUT, renderTraceTree(spans) + '\n');
  });

  it('puts the trace id in the log lines of both processes', () => {
    expect(api.output()).toContain(`"trace_id":"${traceId}"`);
    expect(worker.output()).toContain(`"trace_id":"${traceId}"`);
  });

  it('never exports a secret: no query string, no Authorization header, no token', () => {
    const exported = receiver.raw.join('\n');
    expect(receiver.raw.length).toBeGreaterThan(0);
    for (const secret of [querySecret, apiKeyToken, TEST_OPERATOR_TOKEN, initialAccessToken]) {
      expect(exported).not.toContain(secret);
    }
    expect(exported.toLowerCase()).not.toContain('bearer ');
    for (const span of receiver.spans) {
      for (const key of ['url.full', 'http.url', 'http.target']) {
        expect(String(span.attributes[key] ?? '')).not.toContain('?');
      }
      expect(span.attributes['url.query']).toBeUndefined();
    }
  });
});

async function until(condition: () => boolean, explain: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in time:\n${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
