import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretValue } from '#domain';
import { createSafeHttpClient } from '../http/safe-http.js';
import { deleteClient, readClient, updateClient, type CredentialsChange } from './manage.js';

/**
 * A tiny RFC 7592 endpoint that rotates the registration access token on every GET and PUT,
 * as Keycloak does, and logs what happens so the order of events can be checked.
 */
let server: Server;
let clientUri: string;
let currentToken: string;
let stored: Record<string, unknown>;
let deleted: boolean;
const events: string[] = [];
const putBodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      events.push(`${req.method} with ${req.headers.authorization}`);
      if (deleted || req.headers.authorization !== `Bearer ${currentToken}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        return;
      }
      if (req.method === 'DELETE') {
        deleted = true;
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'PUT') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        putBodies.push(body);
        stored = { ...body, scope: 'system/*.rs' }; // the server narrows the scope
      }
      currentToken = `rat-${events.length}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ...stored,
          client_secret: 'secret-1',
          client_secret_expires_at: 0,
          client_id_issued_at: 1,
          registration_access_token: currentToken,
          registration_client_uri: clientUri,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  clientUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reg/c1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  currentToken = 'rat-0';
  deleted = false;
  stored = {
    client_id: 'c1',
    client_name: 'App',
    scope: 'system/*.rs',
    contacts: ['a@example.org'],
    jwks_uri: 'https://app.example/jwks',
  };
  events.length = 0;
  putBodies.length = 0;
});

const http = createSafeHttpClient({ allowedHosts: ['127.0.0.1'], timeoutMs: 2000, maxResponseBytes: 65536 });
const access = () => ({ registrationClientUri: clientUri, registrationAccessToken: new SecretValue(currentToken) });

describe('updateClient', () => {
  it('saves the token rotated by its GET before sending the PUT, then PUTs client_id and the full metadata wanted', async () => {
    const changes: CredentialsChange[] = [];
    const result = await updateClient(http, {
      access: access(),
      knownClientSecret: new SecretValue('secret-1'),
      metadata: { client_name: 'App 2', scope: 'system/*.rs system/Patient.rs', jwks_uri: 'https://app.example/jwks' },
      onCredentialsChanged: async (change) => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // a slow secret store
        events.push(`saved ${change.registrationAccessToken?.reveal()}`);
        changes.push(change);
      },
    });

    expect(events).toEqual(['GET with Bearer rat-0', 'saved rat-1', 'PUT with Bearer rat-1', 'saved rat-3']);
    expect(changes.map((change) => Object.keys(change))).toEqual([
      ['registrationAccessToken'],
      ['registrationAccessToken'],
    ]);
    expect(putBodies[0]).toEqual({
      client_id: 'c1',
      client_name: 'App 2',
      scope: 'system/*.rs system/Patient.rs',
      jwks_uri: 'https://app.example/jwks',
    });
    expect(result).toMatchObject({
      outcome: 'updated',
      clientId: 'c1',
      differences: [
        { field: 'scope', requested: 'system/*.rs system/Patient.rs', granted: 'system/*.rs', kind: 'narrowed' },
      ],
    });
    if (result.outcome === 'updated') expect(result.access.registrationAccessToken.reveal()).toBe('rat-3');
  });

  it('sends nothing more when saving the new token fails', async () => {
    await expect(
      updateClient(http, {
        access: access(),
        metadata: { client_name: 'x' },
        onCredentialsChanged: () => {
          throw new Error('secret store down');
        },
      }),
    ).rejects.toThrow('secret store down');
    expect(events).toEqual(['GET with Bearer rat-0']);
  });

  it('sends the client secret only when asked', async () => {
    await updateClient(http, {
      access: access(),
      metadata: { client_name: 'App' },
      clientSecret: new SecretValue('secret-1'),
      onCredentialsChanged: () => undefined,
    });
    expect(putBodies[0].client_secret).toBe('secret-1');
  });
});

describe('readClient', () => {
  it('reports a secret it did not know, and the rotated token', async () => {
    const changes: CredentialsChange[] = [];
    const result = await readClient(http, {
      access: access(),
      onCredentialsChanged: (change) => void changes.push(change),
    });
    expect(result).toMatchObject({ outcome: 'found', clientId: 'c1', metadata: { client_name: 'App' } });
    expect(changes[0].clientSecret?.reveal()).toBe('secret-1');
    expect(changes[0].clientSecretExpiresAt).toBe(0);
    expect(changes[0].registrationAccessToken?.reveal()).toBe('rat-1');
  });
});

describe('deleteClient', () => {
  it('deletes, and a second delete finds the client gone', async () => {
    expect(await deleteClient(http, { access: access() })).toEqual({ outcome: 'deleted' });
    expect(await deleteClient(http, { access: access() })).toEqual({ outcome: 'gone', httpStatus: 401 });
    expect(await readClient(http, { access: access(), onCredentialsChanged: () => undefined })).toEqual({
      outcome: 'gone',
      httpStatus: 401,
    });
  });
});

/**
 * A thin RFC 7592 server: GET answers without client_id, credentials or scope and in array
 * shapes with vendor members; PUT answers 200 with an empty body and refuses array shapes;
 * DELETE answers 200 with an empty body.
 */
describe('thin and differently shaped answers', () => {
  let thin: Server;
  let uri: string;
  const sent: Record<string, unknown>[] = [];

  beforeAll(async () => {
    thin = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              client_name: ['App'],
              token_endpoint_auth_method: ['client_secret_basic'],
              logo_uri: '',
              contacts: [],
              x_vendor: 'active',
            }),
          );
          return;
        }
        if (req.method === 'PUT') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
          sent.push(body);
          const arrays = Object.entries(body).some(([k, v]) => Array.isArray(v) && !k.endsWith('s'));
          if (arrays)
            res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_client_metadata"}');
          else res.writeHead(200).end();
          return;
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => thin.listen(0, '127.0.0.1', resolve));
    uri = `http://127.0.0.1:${(thin.address() as AddressInfo).port}/reg/c9`;
  });
  afterAll(() => new Promise<void>((resolve) => thin.close(() => resolve())));

  const thinAccess = () => ({ registrationClientUri: uri, registrationAccessToken: new SecretValue('rat') });

  it('reads a thin answer as the known client with canonical metadata, extras aside, nothing changed', async () => {
    const changes: CredentialsChange[] = [];
    const read = await readClient(http, {
      access: thinAccess(),
      clientId: 'c9',
      onCredentialsChanged: (change) => void changes.push(change),
    });
    expect(read).toMatchObject({
      outcome: 'found',
      clientId: 'c9',
      metadata: { client_name: 'App', token_endpoint_auth_method: 'client_secret_basic' },
      extras: { x_vendor: 'active' },
    });
    if (read.outcome === 'found') {
      expect(read.metadata).not.toHaveProperty('logo_uri');
      expect(read.clientSecretExpiresAt).toBeUndefined();
    }
    expect(changes).toEqual([]);
  });

  it('PUTs client_id + the canonical metadata wanted (never the echo), and takes an empty 200 as "as sent"', async () => {
    const result = await updateClient(http, {
      access: thinAccess(),
      clientId: 'c9',
      metadata: { client_name: 'App 2', token_endpoint_auth_method: ['client_secret_basic'], scope: 'system/*.rs' },
      onCredentialsChanged: () => undefined,
    });
    expect(sent.at(-1)).toEqual({
      client_id: 'c9',
      client_name: 'App 2',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'system/*.rs',
    });
    expect(result).toMatchObject({
      outcome: 'updated',
      clientId: 'c9',
      emptyAnswer: true,
      granted: { client_name: 'App 2', scope: 'system/*.rs' },
      differences: [],
    });
  });

  it('takes 200 with an empty body as deleted', async () => {
    expect(await deleteClient(http, { access: thinAccess() })).toEqual({ outcome: 'deleted' });
  });
});
