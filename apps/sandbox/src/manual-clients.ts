import { randomBytes } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import { HttpError } from './http-io.js';
import type { Site } from './site.js';

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

/**
 * Creates a client by hand, as an EHR administrator does in the EHR's admin console at a site
 * without dynamic registration (`POST /sandbox/sites/{site}/clients`, any profile). The body is
 * RFC 7591 client metadata; the site issues the client id, and a secret when the auth method
 * needs one (expiring after the site's `secretTtlSeconds`, if set). The answer is the only place
 * the secret is shown, as in a real console.
 */
export async function createClientByHand(site: Site, body: unknown): Promise<AdapterPayload> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object of client metadata');
  }
  const metadata: AdapterPayload = { ...(body as AdapterPayload) };
  for (const issued of ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at']) {
    delete metadata[issued];
  }
  const method =
    typeof metadata.token_endpoint_auth_method === 'string'
      ? metadata.token_endpoint_auth_method
      : 'client_secret_basic';
  metadata.token_endpoint_auth_method = method;
  const grants = Array.isArray(metadata.grant_types) ? metadata.grant_types : ['authorization_code'];
  // A backend-services client wants no response type (see metadata-policies.ts).
  if (metadata.response_types === undefined && !grants.includes('authorization_code') && !grants.includes('implicit')) {
    metadata.response_types = [];
  }
  const now = Math.floor(Date.now() / 1000);
  const clientId = `manual-${randomBytes(12).toString('hex')}`;
  const payload: AdapterPayload = { ...metadata, client_id: clientId, client_id_issued_at: now };
  if (SECRET_METHODS.has(method)) {
    payload.client_secret = randomBytes(32).toString('base64url');
    const ttl = site.behaviour.secretTtlSeconds;
    payload.client_secret_expires_at = ttl ? now + ttl : 0;
  }
  try {
    await site.provider().Client.validate(payload);
  } catch (error) {
    const description = (error as { error_description?: unknown }).error_description;
    if (typeof description !== 'string') throw error;
    throw new HttpError(400, 'invalid_client_metadata', description);
  }
  site.store.replaceClient(clientId, payload);
  return payload;
}
