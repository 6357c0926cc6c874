import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A SMART site that answers a registration with a hostile document: the RFC 7591 answer plus
 * members the test chooses (say, an array nested 200,000 deep). Real HTTP on 127.0.0.1, a few
 * lines instead of a knob in the sandbox (whose files another issue edits). Written as text,
 * because the hostile member could not be built by JSON.stringify (it would overflow the stack).
 */
export interface HostileSite {
  fhirBaseUrl: string;
  clientIds: string[];
  close(): Promise<void>;
}

export async function startHostileSite(hostileMembersJson: string): Promise<HostileSite> {
  const clientIds: string[] = [];
  let origin = '';
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(body);
    };
    if (request.method === 'GET' && request.url === '/fhir/.well-known/smart-configuration') {
      return send(
        200,
        JSON.stringify({
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          registration_endpoint: `${origin}/register`,
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
          grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
          scopes_supported: ['openid', 'fhirUser', 'launch', 'patient/*.rs', 'system/*.rs'],
          response_types_supported: ['code'],
          capabilities: ['launch-ehr', 'client-confidential-symmetric', 'client-confidential-asymmetric'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
    }
    if (request.method === 'POST' && request.url === '/register') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const metadata = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const clientId = `hostile-${randomBytes(6).toString('hex')}`;
        clientIds.push(clientId);
        const answer = JSON.stringify({
          ...metadata,
          client_id: clientId,
          client_secret: randomBytes(24).toString('base64url'),
          client_id_issued_at: Math.floor(Date.now() / 1000),
          client_secret_expires_at: 0,
        });
        send(201, `${answer.slice(0, -1)},${hostileMembersJson}}`);
      });
      return;
    }
    send(404, '{"error":"not_found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    fhirBaseUrl: `${origin}/fhir`,
    clientIds,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
