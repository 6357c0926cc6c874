import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { SecretValue } from '#domain';
import { createSafeHttpClient } from '../http/safe-http.js';
import { ASSERTION_LIFETIME_SECONDS, createClientAssertion } from './client-assertion.js';
import { requestClientCredentialsToken } from './client-credentials.js';

let server: Server;
let tokenEndpoint: string;
let received: { headers: IncomingMessage['headers']; form: URLSearchParams }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString()) });
      const basic = Buffer.from(req.headers.authorization?.slice(6) ?? '', 'base64').toString();
      if (basic.startsWith('wrong:')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"access_token":"at-1","token_type":"Bearer","expires_in":300,"scope":"system/*.rs"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (received = []));

const http = createSafeHttpClient({ allowedHosts: ['127.0.0.1'], timeoutMs: 2000, maxResponseBytes: 65536 });

describe('requestClientCredentialsToken', () => {
  it('sends client_secret_basic with form-urlencoded credentials (RFC 6749 §2.3.1)', async () => {
    const result = await requestClientCredentialsToken(http, {
      tokenEndpoint,
      clientId: 'client:1',
      auth: { method: 'client_secret_basic', secret: new SecretValue('s3cr+t/ä') },
      scope: 'system/*.rs',
    });
    expect(result).toMatchObject({ tokenType: 'Bearer', expiresIn: 300, scope: 'system/*.rs' });
    expect(result.accessToken.reveal()).toBe('at-1');
    const basic = Buffer.from(received[0].headers.authorization!.slice(6), 'base64').toString();
    expect(basic).toBe('client%3A1:s3cr%2Bt%2F%C3%A4');
    expect(Object.fromEntries(received[0].form)).toEqual({ grant_type: 'client_credentials', scope: 'system/*.rs' });
  });

  it('sends client_secret_post in the body', async () => {
    await requestClientCredentialsToken(http, {
      tokenEndpoint,
      clientId: 'c1',
      auth: { method: 'client_secret_post', secret: new SecretValue('pw') },
    });
    expect(received[0].headers.authorization).toBeUndefined();
    expect(Object.fromEntries(received[0].form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'c1',
      client_secret: 'pw',
    });
  });

  it.each(['RS384', 'ES384'] as const)('signs a SMART client assertion with %s', async (alg) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    await requestClientCredentialsToken(http, {
      tokenEndpoint,
      clientId: 'c1',
      auth: { method: 'private_key_jwt', privateJwk, alg, kid: 'k1' },
      scope: 'system/*.rs',
    });
    const form = received[0].form;
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = form.get('client_assertion')!;
    expect(decodeProtectedHeader(assertion)).toEqual({ alg, kid: 'k1', typ: 'JWT' });
    const { payload } = await jwtVerify(assertion, publicKey, { issuer: 'c1', subject: 'c1', audience: tokenEndpoint });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('uses a fresh jti for every assertion', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const input = { clientId: 'c1', tokenEndpoint, privateJwk, alg: 'ES384' as const, kid: 'k1', now: 1_700_000_000 };
    const jti = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti;
    const [a, b] = await Promise.all([createClientAssertion(input), createClientAssertion(input)]);
    expect(jti(a)).not.toBe(jti(b));
    expect(JSON.parse(Buffer.from(a.split('.')[1], 'base64url').toString()).exp).toBe(
      1_700_000_000 + ASSERTION_LIFETIME_SECONDS,
    );
  });

  it('maps invalid_client to a permanent error without the secret in it', async () => {
    const failure: unknown = await requestClientCredentialsToken(http, {
      tokenEndpoint,
      clientId: 'wrong',
      auth: { method: 'client_secret_basic', secret: new SecretValue('never-printed') },
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ operation: 'token', error: 'invalid_client', httpStatus: 401, retryable: false });
    expect(`${String(failure)} ${JSON.stringify(failure)}`).not.toContain('never-printed');
  });
});
