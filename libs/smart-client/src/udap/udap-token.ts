import { z } from 'zod';
import { send } from '../errors.js';
import type { SafeHttpClient } from '../http/safe-http.js';
import { CLIENT_ASSERTION_TYPE } from '../token/client-assertion.js';
import { readTokenResponse, type TokenResult } from '../token/client-credentials.js';
import { newJti, signX5cJwt } from './x5c-jwt.js';
import type { UdapSigner } from './udap-registration.js';

/**
 * UDAP JWT-Based Client Authentication (HL7 UDAP Security IG §5.2 "Client credentials workflow"
 * and §5.3 "Constructing an Authentication Token"; §4 for consumer-facing apps).
 */

/** IG §5.3: exp - iat SHALL NOT exceed 300 s; four minutes leave room for the server's clock. */
export const UDAP_ASSERTION_LIFETIME_SECONDS = 240;

/**
 * The HL7 B2B Authorization Extension Object (IG §5.3.1, key `hl7-b2b`). `organization_id`
 * (a URI) and `purpose_of_use` (one or more codes) are required; `version` is fixed to "1".
 */
export const hl7B2bSchema = z.strictObject({
  subject_name: z.string().min(1).max(256).optional(),
  subject_id: z.string().min(1).max(256).optional(),
  subject_role: z.string().min(1).max(256).optional(),
  organization_name: z.string().min(1).max(256).optional(),
  organization_id: z.url().max(2048),
  purpose_of_use: z.array(z.string().min(1).max(256)).min(1).max(20),
  consent_policy: z.array(z.url().max(2048)).min(1).max(20).optional(),
  consent_reference: z.array(z.url().max(2048)).min(1).max(20).optional(),
});
export type Hl7B2bValues = z.output<typeof hl7B2bSchema>;

export function hl7B2bExtension(values: Hl7B2bValues): Record<string, unknown> {
  return { version: '1', ...values };
}

export interface UdapAssertionInput {
  clientId: string;
  tokenEndpoint: string;
  signer: UdapSigner;
  /** Authorization extension objects by key name, e.g. `{ 'hl7-b2b': {...} }` (IG §5.3). */
  extensions?: Record<string, unknown>;
  now?: number;
}

/** IG §5.3: iss = sub = client_id, aud = the token endpoint, exp ≤ iat + 300 s, unique jti, x5c header. */
export async function createUdapClientAssertion(input: UdapAssertionInput): Promise<string> {
  const now = input.now ?? Math.floor(Date.now() / 1000);
  return signX5cJwt(
    {
      iss: input.clientId,
      sub: input.clientId,
      aud: input.tokenEndpoint,
      iat: now,
      exp: now + UDAP_ASSERTION_LIFETIME_SECONDS,
      jti: newJti(),
      ...(input.extensions && Object.keys(input.extensions).length > 0 && { extensions: input.extensions }),
    },
    input.signer,
  );
}

export interface UdapClientCredentialsRequest extends UdapAssertionInput {
  scope: string;
}

/**
 * IG §5.2.1 token request: grant_type=client_credentials, scope, client_assertion_type,
 * client_assertion, udap=1; no Authorization header and no client secret.
 */
export async function requestUdapClientCredentialsToken(
  http: SafeHttpClient,
  request: UdapClientCredentialsRequest,
): Promise<TokenResult> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: request.scope,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await createUdapClientAssertion(request),
    udap: '1',
  });
  const response = await send('token', () =>
    http.request({
      method: 'POST',
      url: request.tokenEndpoint,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    }),
  );
  return readTokenResponse(response);
}
