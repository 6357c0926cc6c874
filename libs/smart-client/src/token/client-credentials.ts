import { z } from 'zod';
import type { JWK } from 'jose';
import { SecretValue } from '#domain';
import { errorFromResponse, send, SmartClientError } from '../errors.js';
import type { SafeHttpClient, SafeHttpResponse } from '../http/safe-http.js';
import { CLIENT_ASSERTION_TYPE, createClientAssertion, type AssertionAlgorithm } from './client-assertion.js';

/**
 * RFC 6749 §4.4 client credentials grant: the broker uses it to prove that credentials work
 * ("usable") right after registration and to test a rotated secret before promoting it.
 */

export type ClientAuthentication =
  | { method: 'client_secret_basic' | 'client_secret_post'; secret: SecretValue }
  | { method: 'private_key_jwt'; privateJwk: JWK; alg: AssertionAlgorithm; kid: string };

export interface ClientCredentialsTokenRequest {
  tokenEndpoint: string;
  clientId: string;
  auth: ClientAuthentication;
  scope?: string;
}

export interface TokenResult {
  accessToken: SecretValue;
  tokenType: string;
  expiresIn?: number;
  /** The granted scope when the server says (RFC 6749 §5.1: may differ from the requested one). */
  scope?: string;
}

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1).max(16_384),
  token_type: z.string().min(1).max(64),
  expires_in: z.number().nonnegative().optional(),
  scope: z.string().max(4096).optional(),
});

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * Requests an access token. Throws a `SmartClientError` with operation `token`:
 * `invalid_client` (wrong or expired secret, unknown key), `invalid_scope`,
 * `unauthorized_client` are permanent; 429/5xx/network are retryable.
 */
export async function requestClientCredentialsToken(
  http: SafeHttpClient,
  request: ClientCredentialsTokenRequest,
): Promise<TokenResult> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (request.scope) form.set('scope', request.scope);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const { auth } = request;
  switch (auth.method) {
    case 'client_secret_basic': {
      const credentials = `${formEncode(request.clientId)}:${formEncode(auth.secret.reveal())}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      break;
    }
    case 'client_secret_post':
      form.set('client_id', request.clientId);
      form.set('client_secret', auth.secret.reveal());
      break;
    case 'private_key_jwt':
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      form.set(
        'client_assertion',
        await createClientAssertion({
          clientId: request.clientId,
          tokenEndpoint: request.tokenEndpoint,
          privateJwk: auth.privateJwk,
          alg: auth.alg,
          kid: auth.kid,
        }),
      );
      break;
  }

  const response = await send('token', () =>
    http.request({ method: 'POST', url: request.tokenEndpoint, headers, body: form.toString() }),
  );
  return readTokenResponse(response);
}

/** A token endpoint's answer (RFC 6749 §5.1, §5.2), whichever way the client authenticated. */
export function readTokenResponse(response: SafeHttpResponse): TokenResult {
  if (!response.ok) throw errorFromResponse('token', response);
  let body: unknown;
  try {
    body = response.json();
  } catch {
    body = undefined;
  }
  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new SmartClientError('token', {
      error: 'invalid_response',
      errorDescription: 'the token response lacks access_token or token_type (RFC 6749 §5.1)',
      httpStatus: response.status,
      retryable: false,
    });
  }
  return {
    accessToken: new SecretValue(parsed.data.access_token),
    tokenType: parsed.data.token_type,
    expiresIn: parsed.data.expires_in,
    scope: parsed.data.scope,
  };
}
