import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretValue } from '#domain';
import {
  createSafeHttpClient,
  OutboundBlockedError,
  OutboundError,
  type OutboundCallEvent,
  type SafeHttpOptions,
} from '#smart-client';

/**
 * The SSRF corpus: every request goes to a real server on 127.0.0.1 (or would, if the
 * policy let it). Blocked destinations must be refused before any byte reaches them.
 */

interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  seen: IncomingMessage[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ok = (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
};

function client(overrides: Partial<SafeHttpOptions> = {}) {
  return createSafeHttpClient({ allowedHosts: [], timeoutMs: 3000, maxResponseBytes: 64 * 1024, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof OutboundError)) throw new Error(`expected an OutboundError, got ${String(error)}`);
  return error;
}

describe('safe HTTP client: blocked destinations', () => {
  it.each([
    ['http://127.0.0.1:{port}/', 'loopback'],
    ['https://127.0.0.1:{port}/', 'loopback'],
    ['https://[::ffff:127.0.0.1]:{port}/', 'loopback'],
    ['https://[::ffff:7f00:1]:{port}/', 'loopback'],
    ['https://[::1]:{port}/', 'loopback'],
    ['https://0.0.0.0:{port}/', 'unspecified'],
    ['https://10.0.0.1/', 'private'],
    ['https://172.16.5.4/', 'private'],
    ['https://192.168.1.1/', 'private'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['https://100.64.0.1/', 'cgnat'],
    ['https://[fd00::1]/', 'unique-local'],
    ['http://ehr.example.org/fhir', 'scheme'],
  ])('%s is refused (%s) and nothing is sent', async (template, rule) => {
    const server = await startServer(ok);
    const error = await failure(client().request({ url: template.replace('{port}', String(server.port)) }));
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect(error).toMatchObject({ kind: 'blocked', rule, retryable: false });
    expect(server.seen).toHaveLength(0);
  });

  it('checks the address a host name resolves to when connecting (localhost -> 127.0.0.1)', async () => {
    const server = await startServer(ok);
    const error = await failure(client().request({ url: `https://localhost:${server.port}/` }));
    expect(error).toMatchObject({ kind: 'blocked', rule: 'loopback' });
    expect(error.message).toContain('localhost resolves to');
    expect(server.seen).toHaveLength(0);
  });

  it('refuses a host whose DNS answer mixes a public and an internal address', async () => {
    const http = client({
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    await expect(http.request({ url: 'https://mixed.example/' })).rejects.toMatchObject({
      kind: 'blocked',
      rule: 'private',
    });
  });

  it('blocks a redirect from an allowed host to an internal one', async () => {
    const internal = await startServer(ok);
    const allowed = await startServer((_req, res) => {
      res.writeHead(302, { location: `https://localhost:${internal.port}/admin` }).end();
    });
    const http = client({ allowedHosts: [`127.0.0.1:${allowed.port}`] });
    const error = await failure(http.request({ url: `${allowed.origin}/start` }));
    expect(error).toMatchObject({ kind: 'blocked', rule: 'loopback' });
    expect(allowed.seen).toHaveLength(1);
    expect(internal.seen).toHaveLength(0);
  });

  it('blocks a redirect to the cloud metadata address', async () => {
    const allowed = await startServer((_req, res) => {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
    });
    const http = client({ allowedHosts: [`127.0.0.1:${allowed.port}`] });
    await expect(http.request({ url: allowed.origin })).rejects.toMatchObject({ kind: 'blocked', rule: 'link-local' });
  });
});

describe('safe HTTP client: allow-list', () => {
  it('lets an allow-listed host use http and loopback, and identifies the broker', async () => {
    const server = await startServer(ok);
    const events: OutboundCallEvent[] = [];
    const http = client({ allowedHosts: [`localhost:${server.port}`], onResponse: (event) => events.push(event) });
    const response = await http.request({ url: `http://localhost:${server.port}/x` });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(server.seen[0].headers['user-agent']).toMatch(/^smart-registration-broker\/\d+\.\d+\.\d+/);
    expect(events).toEqual([
      { host: `localhost:${server.port}`, method: 'GET', status: 200, durationMs: expect.any(Number) },
    ]);
  });

  it('does not extend an entry with a port to other ports of the same host', async () => {
    const server = await startServer(ok);
    const http = client({ allowedHosts: [`127.0.0.1:${server.port + 1}`] });
    await expect(http.request({ url: server.origin })).rejects.toMatchObject({ kind: 'blocked', rule: 'loopback' });
  });

  it('follows redirects between allowed hosts and drops Authorization when the origin changes', async () => {
    const target = await startServer(ok);
    const start = await startServer((req, res) => {
      if (req.url === '/same-origin') {
        res.writeHead(302, { location: `http://localhost:${target.port}/done` }).end();
      } else {
        res.writeHead(301, { location: '/same-origin' }).end();
      }
    });
    const http = client({ allowedHosts: [`127.0.0.1:${start.port}`, `localhost:${target.port}`] });
    const response = await http.request({ url: start.origin, bearerToken: new SecretValue('rat-123') });
    expect(response.status).toBe(200);
    expect(response.url).toBe(`http://localhost:${target.port}/done`);
    expect(start.seen.map((req) => req.headers.authorization)).toEqual(['Bearer rat-123', 'Bearer rat-123']);
    expect(target.seen[0].headers.authorization).toBeUndefined();
  });

  it('returns a 3xx untouched when redirects are not followed (webhooks)', async () => {
    const server = await startServer((_req, res) =>
      res.writeHead(302, { location: 'https://elsewhere.example/' }).end(),
    );
    const http = client({ allowedHosts: ['127.0.0.1'] });
    const response = await http.request({ url: server.origin, method: 'POST', json: {}, followRedirects: false });
    expect(response.status).toBe(302);
    expect(response.ok).toBe(false);
  });

  it('stops an endless redirect loop', async () => {
    const server = await startServer((_req, res) => res.writeHead(302, { location: '/again' }).end());
    const http = client({ allowedHosts: ['127.0.0.1'], maxRedirects: 3 });
    await expect(http.request({ url: server.origin })).rejects.toMatchObject({ kind: 'redirect', reason: 'too_many' });
    expect(server.seen).toHaveLength(4);
  });
});

describe('safe HTTP client: size and time limits', () => {
  it('rejects a declared Content-Length above the cap before reading the body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    });
    const http = client({ allowedHosts: ['127.0.0.1'] });
    await expect(http.request({ url: server.origin })).rejects.toMatchObject({ kind: 'too_large', limitBytes: 65536 });
  });

  it('cuts a streamed body as soon as it exceeds the cap', async () => {
    let written = 0;
    let closedEarly = false;
    const total = 20 * 1024 * 1024;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no length
      res.on('close', () => (closedEarly = written < total));
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const http = client({ allowedHosts: ['127.0.0.1'], maxResponseBytes: 100 * 1024 });
    await expect(http.request({ url: server.origin })).rejects.toMatchObject({ kind: 'too_large' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedEarly).toBe(true);
  });

  it('times out waiting for response headers', async () => {
    const server = await startServer(() => undefined); // never answers
    const http = client({ allowedHosts: ['127.0.0.1'], headersTimeoutMs: 200 });
    await expect(http.request({ url: server.origin })).rejects.toMatchObject({
      kind: 'timeout',
      phase: 'headers',
      retryable: true,
    });
  });

  it('times out a body that trickles in (whole-request deadline)', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const http = client({ allowedHosts: ['127.0.0.1'] });
    await expect(http.request({ url: server.origin, timeoutMs: 400 })).rejects.toMatchObject({
      kind: 'timeout',
      phase: 'total',
    });
  });

  it('times out a connection that cannot be established (resolver hangs)', async () => {
    const http = client({ connectTimeoutMs: 200, resolve: () => new Promise(() => undefined) });
    await expect(http.request({ url: 'https://hangs.example/' })).rejects.toMatchObject({
      kind: 'timeout',
      phase: 'connect',
    });
  });

  it('reports a refused connection as a retryable network error that never reached the server', async () => {
    const server = await startServer(ok);
    const { port } = server;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const http = client({ allowedHosts: ['127.0.0.1'] });
    const error = await failure(http.request({ url: `http://127.0.0.1:${port}/` }));
    expect(error).toMatchObject({
      kind: 'network',
      code: 'ECONNREFUSED',
      retryable: true,
      mayHaveReachedServer: false,
    });
  });

  it('raises bad_json for a body that is not JSON, without leaking the request', async () => {
    const server = await startServer((_req, res) => res.end('<html>'));
    const http = client({ allowedHosts: ['127.0.0.1'] });
    const response = await http.request({
      url: `${server.origin}/x?token=abc`,
      bearerToken: new SecretValue('top-secret-iat'),
      json: { client_secret: 'top-secret-body' },
      method: 'POST',
    });
    const error = (() => {
      try {
        response.json();
      } catch (caught) {
        return caught as OutboundError;
      }
      throw new Error('expected bad_json');
    })();
    expect(error.kind).toBe('bad_json');
    expect(error.url).toBe(`${server.origin}/x`);
    expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(/top-secret|token=abc/);
  });
});
