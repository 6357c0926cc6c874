import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

/**
 * SMART Backend Services client assertion (RFC 7523 §3, SMART App Launch 2.x "Client
 * Authentication: Asymmetric"): `iss` = `sub` = client_id, `aud` = the token endpoint,
 * `exp` no more than five minutes ahead, a unique `jti`, signed RS384 or ES384 with the `kid`
 * of a key the server knows (from the registered jwks or jwks_uri).
 */

export type AssertionAlgorithm = 'RS384' | 'ES384';

export interface ClientAssertionInput {
  clientId: string;
  tokenEndpoint: string;
  privateJwk: JWK;
  alg: AssertionAlgorithm;
  kid: string;
  /** Seconds since the epoch; defaults to now. */
  now?: number;
}

/**
 * Four minutes, not five: servers reject assertions whose `exp` is more than five minutes
 * ahead of THEIR clock, so a little room for clock skew avoids spurious invalid_client.
 */
export const ASSERTION_LIFETIME_SECONDS = 240;

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function createClientAssertion(input: ClientAssertionInput): Promise<string> {
  const key = await importJWK(input.privateJwk, input.alg);
  const now = input.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: input.alg, kid: input.kid, typ: 'JWT' })
    .setIssuer(input.clientId)
    .setSubject(input.clientId)
    .setAudience(input.tokenEndpoint)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(key);
}
