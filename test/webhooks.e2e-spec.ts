import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { APP_FILTER } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { BrokerConfig } from '#config';
import { PrismaService, WebhookEventRepository } from '#persistence';
import {
  CoreModule,
  HealthSystemsService,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_HTTP,
  WebhookOutbox,
  webhookPayloadSchema,
  type WebhookEventInput,
  type WebhookSubject,
} from '#registration';
import { createSafeHttpClient } from '#smart-client';
import { WebhooksApiModule } from '../apps/api/src/admin/webhooks-api.module.js';
import { ProblemDetailsFilter } from '../apps/api/src/http/problem-details.filter.js';
import { WebhooksWorkerModule } from '../apps/worker/src/webhooks/webhooks-worker.module.js';
import { OPERATOR } from './support/api-harness.js';
import { testConfig } from './support/test-config.js';

/**
 * Admin webhooks end to end: the operator API, the outbox, the dispatcher and the delivery
 * worker in one process, against the real PostgreSQL and Redis, delivering to real HTTP
 * receivers on 127.0.0.1 that verify every signature with the `standardwebhooks` library.
 * Host names under `.example.test` resolve through a table the tests control (the safe HTTP
 * client's resolver injection), to play DNS changes between creation and delivery.
 */

const RETRY_STEP_MS = 300;
const RETRIES = 8;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

type Reply = { status: number; headers?: Record<string, string>; body?: string };

interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Decides the answer to each request (default 204). */
  reply: (request: Received, index: number) => Reply;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  let server!: Server;
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    reply: () => ({ status: 204 }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      const answer = receiver.reply(entry, received.length - 1);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
  receivers.push(receiver);
  return receiver;
}

/** Verifies like a receiver would; returns the parsed payload or throws WebhookVerificationError. */
function verify(secret: string, message: Received): unknown {
  return new Webhook(secret).verify(message.body, {
    'webhook-id': String(message.headers['webhook-id']),
    'webhook-timestamp': String(message.headers['webhook-timestamp']),
    'webhook-signature': String(message.headers['webhook-signature']),
  });
}

async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dns = new Map<string, string>();
const resolve = async (hostname: string): Promise<LookupAddress[]> => {
  const address = dns.get(hostname);
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

let app: INestApplication;
let config: BrokerConfig;
let prisma: PrismaService;
let outbox: WebhookOutbox;
const http = () => request(app.getHttpServer());

beforeAll(async () => {
  config = testConfig({
    QUEUE_PREFIX: `{webhooks-test-${randomUUID().slice(0, 8)}}`,
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE_MS: Array(RETRIES).fill(RETRY_STEP_MS).join(','),
    WORKER_CONCURRENCY: '16',
  });
  const moduleRef = await Test.createTestingModule({
    imports: [CoreModule.forRoot(config), WebhooksApiModule, WebhooksWorkerModule],
    providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
  })
    .overrideProvider(WEBHOOK_HTTP)
    .useValue(
      createSafeHttpClient({
        allowedHosts: config.outbound.allowedHosts,
        timeoutMs: 15_000,
        maxResponseBytes: 65_536,
        resolve,
      }),
    )
    .compile();
  // Prisma loads its query compiler on the first query; Jest allows that import only inside a
  // hook or test, so it must not happen first in the dispatch loop that `init` starts.
  prisma = moduleRef.get(PrismaService);
  await prisma.$queryRaw`SELECT 1`;
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  outbox = app.get(WebhookOutbox);
});

afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await app?.close();
});

async function healthSystem(): Promise<{ id: string; name: string; fhirBaseUrl: string }> {
  const name = `Site ${randomUUID().slice(0, 8)}`;
  const site = await app
    .get(HealthSystemsService)
    .create({ name, fhirBaseUrl: `https://${name.replace(' ', '-').toLowerCase()}.example.org/fhir` });
  return { id: site.id, name: site.name, fhirBaseUrl: site.fhirBaseUrl };
}

async function createEndpoint(healthSystemId: string, body: Record<string, unknown>) {
  const response = await http().post(`/v1/admin/health-systems/${healthSystemId}/webhooks`).set(OPERATOR).send(body);
  expect(response.status).toBe(201);
  return response.body as { id: string; signingSecret: string; enabled: boolean };
}

const endpointPath = (healthSystemId: string, endpointId: string) =>
  `/v1/admin/health-systems/${healthSystemId}/webhooks/${endpointId}`;

async function deliveries(healthSystemId: string, endpointId: string) {
  const response = await http()
    .get(`${endpointPath(healthSystemId, endpointId)}/deliveries?limit=200`)
    .set(OPERATOR)
    .expect(200);
  return response.body.items as Array<Record<string, unknown>>;
}

function subject(site: { id: string; name: string; fhirBaseUrl: string }): WebhookSubject {
  return {
    healthSystem: site,
    tenant: { id: randomUUID(), name: 'Acme Health Apps' },
    app: {
      id: randomUUID(),
      name: 'Growth Chart',
      softwareId: 'growth-chart',
      softwareVersion: '1.0.0',
      contacts: ['ops@growth.example.com'],
    },
    registration: {
      id: randomUUID(),
      state: 'registered',
      clientId: 'client-123',
      grantedScopes: ['launch', 'openid', 'patient/*.rs'],
      grantTypes: ['authorization_code', 'refresh_token'],
    },
  };
}

function everyEvent(site: { id: string; name: string; fhirBaseUrl: string }): WebhookEventInput[] {
  const data = subject(site);
  return [
    { type: 'registration.created', data },
    { type: 'registration.updated', data: { ...data, changes: ['redirect_uris'] } },
    {
      type: 'registration.failed',
      data: {
        ...data,
        error: { code: 'invalid_redirect_uri', description: 'not https', httpStatus: 400, retryable: false },
      },
    },
    { type: 'registration.secret_rotated', data: { ...data, clientSecretExpiresAt: '2027-01-01T00:00:00.000Z' } },
    { type: 'registration.deleted', data: { ...data, reason: 'offboarded' } },
    {
      type: 'registration.orphan_suspected',
      data: { ...data, attempt: { id: randomUUID(), startedAt: '2026-11-26T10:00:00.000Z' } },
    },
    { type: 'onboarding.completed', data: { ...data, onboarding: { id: randomUUID() } } },
    {
      type: 'registration.requested',
      data: { ...data, request: { ...siteRequest, reminder: 0, document: { kind: 'register' }, changes: null } },
    },
    {
      type: 'registration.request_answered',
      data: {
        ...data,
        request: {
          id: siteRequest.id,
          kind: siteRequest.kind,
          openedAt: siteRequest.openedAt,
          status: 'completed',
          answeredAt: '2026-11-26T11:00:00.000Z',
          answeredBy: { type: 'health_system_key', keyId: randomUUID() },
          clientId: 'entered-by-hand',
          declineReason: null,
          proof: 'token_request_succeeded',
        },
      },
    },
  ];
}

/** A request to a site that registers clients by hand (README "Manual registration"). */
const siteRequest = {
  id: randomUUID(),
  kind: 'register' as const,
  openedAt: '2026-11-26T10:00:00.000Z',
  links: { self: '/v1/site/registration-requests/x', printable: '/v1/site/registration-requests/x/printable' },
};

async function record(events: WebhookEventInput[]): Promise<string[]> {
  return prisma.$transaction(async (tx) => {
    const ids: string[] = [];
    for (const event of events) ids.push((await outbox.record(tx, event)).id);
    return ids;
  });
}

const created = (site: { id: string; name: string; fhirBaseUrl: string }): WebhookEventInput => ({
  type: 'registration.created',
  data: subject(site),
});

describe('webhook delivery', () => {
  it('delivers every event type and a ping, each signed and with a unique id; replays keep the id', async () => {
    const receiver = await startReceiver();
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    expect(endpoint.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const events = everyEvent(site);
    // A field the catalogue does not know never reaches a receiver (here: a would-be credential).
    (events[0].data.registration as Record<string, unknown>).clientSecret = 'must-never-leave-the-broker';
    const ids = await record(events);
    const ping = await http()
      .post(`${endpointPath(site.id, endpoint.id)}/ping`)
      .set(OPERATOR)
      .expect(202);

    const expected = events.length + 1; // and the ping
    await eventually(() => receiver.received.length >= expected || undefined, `${expected} deliveries`);
    const payloads = receiver.received.map((message) => {
      const payload = webhookPayloadSchema.parse(verify(endpoint.signingSecret, message));
      expect(payload.id).toBe(message.headers['webhook-id']);
      expect(message.headers['content-type']).toBe('application/json');
      expect(message.body).not.toContain('must-never-leave-the-broker');
      expect(message.body).not.toContain('whsec_');
      return payload;
    });
    expect(new Set(payloads.map((payload) => payload.id))).toEqual(new Set([...ids, ping.body.eventId]));
    expect(payloads.map((payload) => payload.type).sort()).toEqual([...WEBHOOK_EVENT_TYPES, 'ping'].sort());
    const failed = payloads.find((payload) => payload.type === 'registration.failed');
    expect(failed?.data).toMatchObject({ healthSystem: site, error: { code: 'invalid_redirect_uri' } });

    const log = await eventually(async () => {
      const items = await deliveries(site.id, endpoint.id);
      return items.length >= expected ? items : undefined;
    }, 'the delivery log');
    expect(log.every((entry) => entry.outcome === 'delivered' && entry.httpStatus === 204 && entry.attempt === 1)).toBe(
      true,
    );
    expect(log.every((entry) => typeof entry.latencyMs === 'number')).toBe(true);

    await http()
      .post(`${endpointPath(site.id, endpoint.id)}/events/${ids[2]}/replay`)
      .set(OPERATOR)
      .expect(202);
    await eventually(() => receiver.received.length >= expected + 1 || undefined, 'the replay');
    const copies = receiver.received.filter((message) => message.headers['webhook-id'] === ids[2]);
    expect(copies).toHaveLength(2);
    expect(copies[1].body).toBe(copies[0].body);
    verify(endpoint.signingSecret, copies[1]);
    const replayed = await deliveries(site.id, endpoint.id);
    expect(replayed.find((entry) => entry.replay === true)).toMatchObject({ eventId: ids[2], outcome: 'delivered' });

    // The secret was shown once: no later answer carries it.
    const listed = await http().get(`/v1/admin/health-systems/${site.id}/webhooks`).set(OPERATOR).expect(200);
    const single = await http().get(endpointPath(site.id, endpoint.id)).set(OPERATOR).expect(200);
    expect(JSON.stringify([listed.body, single.body, replayed])).not.toContain(endpoint.signingSecret);
    const stored = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(JSON.stringify(stored)).not.toContain(endpoint.signingSecret.slice(6));
  });

  it('never delivers an event whose transaction rolled back', async () => {
    const receiver = await startReceiver();
    const site = await healthSystem();
    await createEndpoint(site.id, { url: receiver.url });
    let rolledBackId = '';
    await expect(
      prisma.$transaction(async (tx) => {
        rolledBackId = (await outbox.record(tx, created(site))).id;
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const [committedId] = await record([created(site)]);

    await eventually(
      () => receiver.received.some((message) => message.headers['webhook-id'] === committedId) || undefined,
      'the committed event',
    );
    expect(receiver.received.map((message) => message.headers['webhook-id'])).toEqual([committedId]);
    expect(await prisma.webhookEvent.findUnique({ where: { id: rolledBackId } })).toBeNull();
  });

  it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
    const receiver = await startReceiver();
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url, eventTypes: ['registration.created'] });
    const rotated = await http()
      .post(`${endpointPath(site.id, endpoint.id)}/rotate-secret`)
      .set(OPERATOR)
      .send({})
      .expect(200);
    expect(rotated.body.signingSecret).not.toBe(endpoint.signingSecret);
    expect(rotated.body.previousSecretSignsUntil).not.toBeNull();

    const [duringOverlap] = await record([created(site)]);
    const first = await eventually(
      () => receiver.received.find((message) => message.headers['webhook-id'] === duringOverlap),
      'delivery during the overlap',
    );
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(endpoint.signingSecret, first)).toMatchObject({ id: duringOverlap });
    expect(verify(rotated.body.signingSecret, first)).toMatchObject({ id: duringOverlap });

    const again = await http()
      .post(`${endpointPath(site.id, endpoint.id)}/rotate-secret`)
      .set(OPERATOR)
      .send({ overlapSeconds: 0 })
      .expect(200);
    const [afterOverlap] = await record([created(site)]);
    const second = await eventually(
      () => receiver.received.find((message) => message.headers['webhook-id'] === afterOverlap),
      'delivery after the overlap',
    );
    expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(again.body.signingSecret, second)).toMatchObject({ id: afterOverlap });
    expect(() => verify(rotated.body.signingSecret, second)).toThrow(WebhookVerificationError);
    expect(() => verify(endpoint.signingSecret, second)).toThrow(WebhookVerificationError);
  });

  it('gives a receiver that was down everything once it is back, duplicates only as retries of the same id', async () => {
    const placeholder = await startReceiver();
    const port = placeholder.port;
    await placeholder.close();
    receivers.splice(receivers.indexOf(placeholder), 1);
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: `http://127.0.0.1:${port}/hooks` });

    const ids = await record(Array.from({ length: 5 }, () => created(site)));
    await eventually(async () => {
      const log = await deliveries(site.id, endpoint.id);
      const failedIds = new Set(
        log.filter((entry) => entry.outcome === 'retry_scheduled').map((entry) => entry.eventId),
      );
      return failedIds.size === ids.length || undefined;
    }, 'a failed attempt for every event');

    const receiver = await startReceiver(port);
    await eventually(
      () => new Set(receiver.received.map((message) => message.headers['webhook-id'])).size === ids.length || undefined,
      'every event after the outage',
    );
    expect(new Set(receiver.received.map((message) => message.headers['webhook-id']))).toEqual(new Set(ids));
    for (const message of receiver.received) {
      expect(verify(endpoint.signingSecret, message)).toMatchObject({ id: message.headers['webhook-id'] });
    }
    const log = await deliveries(site.id, endpoint.id);
    expect(
      log
        .filter((entry) => entry.outcome === 'delivered')
        .map((entry) => entry.eventId)
        .sort(),
    ).toEqual(expect.arrayContaining([...ids].sort()));
    const state = await http().get(endpointPath(site.id, endpoint.id)).set(OPERATOR).expect(200);
    expect(state.body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('disables the endpoint on 410 Gone and tells the operator why', async () => {
    const receiver = await startReceiver();
    receiver.reply = () => ({ status: 410 });
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    const [eventId] = await record([created(site)]);

    const state = await disabledEndpoint(site.id, endpoint.id, 'the endpoint to be disabled');
    expect(state.disabledReason).toContain('410');
    expect(state.disabledAt).not.toBeNull();
    expect(receiver.received).toHaveLength(1);
    expect(await deliveries(site.id, endpoint.id)).toEqual([
      expect.objectContaining({ eventId, httpStatus: 410, outcome: 'failed', attempt: 1 }),
    ]);
    const ping = await http()
      .post(`${endpointPath(site.id, endpoint.id)}/ping`)
      .set(OPERATOR)
      .expect(409);
    expect(ping.headers['content-type']).toContain('application/problem+json');
  });

  it('retries failures on the schedule, then disables the endpoint with the reason', async () => {
    const receiver = await startReceiver();
    receiver.reply = () => ({ status: 500, body: 'database unavailable' });
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    const [eventId] = await record([created(site)]);

    const state = await disabledEndpoint(site.id, endpoint.id, 'the endpoint to be disabled after the last retry');
    expect(state.disabledReason).toContain(`failed ${RETRIES + 1} attempts`);
    expect(state.disabledReason).toContain('HTTP 500');
    expect(receiver.received).toHaveLength(RETRIES + 1);
    expect(new Set(receiver.received.map((message) => message.headers['webhook-id']))).toEqual(new Set([eventId]));

    const log = (await deliveries(site.id, endpoint.id)).reverse();
    expect(log.map((entry) => entry.attempt)).toEqual(Array.from({ length: RETRIES + 1 }, (_, index) => index + 1));
    expect(log.slice(0, -1).every((entry) => entry.outcome === 'retry_scheduled' && entry.nextAttemptAt !== null)).toBe(
      true,
    );
    expect(log.at(-1)).toMatchObject({
      outcome: 'failed',
      httpStatus: 500,
      nextAttemptAt: null,
      responseExcerpt: 'database unavailable',
    });
  });

  it('honours Retry-After on 429', async () => {
    const receiver = await startReceiver();
    receiver.reply = (_request, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    await record([created(site)]);

    const log = await eventually(async () => {
      const items = await deliveries(site.id, endpoint.id);
      return items.some((entry) => entry.outcome === 'delivered') ? items.reverse() : undefined;
    }, 'the delivery after the throttle');
    const [throttled, delivered] = log;
    expect(throttled).toMatchObject({ outcome: 'retry_scheduled', httpStatus: 429 });
    expect(Date.parse(String(throttled.nextAttemptAt)) - Date.parse(String(throttled.at))).toBe(2000);
    expect(Date.parse(String(delivered.at))).toBeGreaterThanOrEqual(Date.parse(String(throttled.nextAttemptAt)));
  });

  it('treats a redirect as a failure without following it, and logs a short sanitised excerpt', async () => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver();
    receiver.reply = (message) => ({
      status: 302,
      headers: { location: elsewhere.url },
      body: `you sent ${String(message.headers['webhook-signature'])}\r\n\u0007\u202e${'x'.repeat(1000)}`,
    });
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    await record([created(site)]);

    const [entry] = await eventually(async () => {
      const items = await deliveries(site.id, endpoint.id);
      return items.length ? items : undefined;
    }, 'the first attempt');
    await http().delete(endpointPath(site.id, endpoint.id)).set(OPERATOR).expect(204);
    expect(entry).toMatchObject({ outcome: 'retry_scheduled', httpStatus: 302 });
    expect(entry.error).toContain('redirects are not followed');
    const excerpt = String(entry.responseExcerpt);
    expect(Array.from(excerpt).length).toBeLessThanOrEqual(256);
    expect(excerpt).toMatch(/^you sent v1,\[REDACTED\] x+$/);
    const signature = String(receiver.received[0].headers['webhook-signature']).slice(3);
    expect(excerpt).not.toContain(signature);
    expect(elsewhere.received).toHaveLength(0);
  });
});

describe('webhook destinations (SSRF)', () => {
  it.each([
    ['https://169.254.169.254/latest/meta-data/', 'outbound_blocked'],
    ['https://10.0.0.7/hooks', 'outbound_blocked'],
    ['https://[::ffff:169.254.169.254]/hooks', 'outbound_blocked'],
    ['https://127.0.0.1.nip.example.test/hooks', 'outbound_blocked'],
    ['https://metadata.example.test/hooks', 'outbound_blocked'],
    ['http://public.example.test/hooks', 'validation_failed'],
    ['https://nowhere.example.test/hooks', 'validation_failed'],
  ])('refuses %s at creation (%s)', async (url, code) => {
    dns.set('127.0.0.1.nip.example.test', '127.0.0.1');
    dns.set('metadata.example.test', '169.254.169.254');
    dns.set('public.example.test', '93.184.215.14');
    const site = await healthSystem();
    const response = await http().post(`/v1/admin/health-systems/${site.id}/webhooks`).set(OPERATOR).send({ url });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ code });
    const listed = await http().get(`/v1/admin/health-systems/${site.id}/webhooks`).set(OPERATOR).expect(200);
    expect(listed.body.items).toEqual([]);
  });

  it('refuses at delivery time a host whose DNS changed to an internal address, and disables the endpoint', async () => {
    dns.set('rebind.example.test', '93.184.215.14');
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: 'https://rebind.example.test/hooks' });
    dns.set('rebind.example.test', '127.0.0.1');
    const [eventId] = await record([created(site)]);

    const state = await disabledEndpoint(site.id, endpoint.id, 'the endpoint to be disabled');
    expect(state.disabledReason).toContain('refused by the outbound policy (loopback address)');
    expect(await deliveries(site.id, endpoint.id)).toEqual([
      expect.objectContaining({ eventId, outcome: 'failed', httpStatus: null }),
    ]);
  });
});

describe('webhook dispatcher', () => {
  it('lets concurrent dispatchers claim disjoint events', async () => {
    const receiver = await startReceiver();
    const site = await healthSystem();
    const endpoint = await createEndpoint(site.id, { url: receiver.url });
    const ids = await record(Array.from({ length: 30 }, () => created(site)));
    const repository = app.get(WebhookEventRepository);
    const seen: string[] = [];
    const dispatch = () =>
      repository.dispatchPending(10, async (fanOut) => {
        seen.push(...fanOut.filter((item) => item.endpointId === endpoint.id).map((item) => item.eventId));
        await new Promise((resolve) => setTimeout(resolve, 200));
      });
    await Promise.all([dispatch(), dispatch(), dispatch()]);
    expect(new Set(seen).size).toBe(seen.length);

    const pending = await eventually(async () => {
      const count = await prisma.webhookEvent.count({ where: { id: { in: ids }, dispatchedAt: null } });
      return count === 0 ? count : undefined;
    }, 'every event dispatched');
    expect(pending).toBe(0);
  });
});

/** Waits until the endpoint is disabled and returns it (the operator's view). */
function disabledEndpoint(siteId: string, endpointId: string, what: string) {
  return eventually(async () => {
    const response = await http().get(endpointPath(siteId, endpointId)).set(OPERATOR).expect(200);
    return response.body.enabled === false ? response.body : undefined;
  }, what);
}
