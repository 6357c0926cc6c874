import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importPKCS8, SignJWT, type JWTPayload } from 'jose';
import type { SecretValue } from '#domain';
import {
  CertificateTrustError,
  parseCertificate,
  validateChain,
  type CertificateIdentity,
  identityOf,
} from './x509.js';
import type { X509Certificate } from 'node:crypto';

/**
 * JWTs of the UDAP profiles: JWS compact serialisation with `alg` and `x5c` in the header
 * (IG §7.1.1 and §7.1.3, General Requirements). RS256 SHALL be supported, ES256 SHOULD,
 * RS384 / ES384 MAY (IG §7.1.2).
 */
export const UDAP_ALGORITHMS = ['RS256', 'ES256', 'RS384', 'ES384'] as const;
export type UdapAlgorithm = (typeof UDAP_ALGORITHMS)[number];

export interface X5cSigner {
  alg: UdapAlgorithm;
  /** PKCS #8 PEM; revealed only here. */
  privateKeyPem: SecretValue;
  /** base64 DER, leaf first (IG §7.1.3). */
  x5c: readonly string[];
}

export async function signX5cJwt(claims: JWTPayload, signer: X5cSigner): Promise<string> {
  const key = await importPKCS8(signer.privateKeyPem.reveal(), signer.alg);
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, x5c: [...signer.x5c] }).sign(key);
}

/** A fresh `jti`: IG §7.1.4 forbids reusing one with the same `iss` before the first expires. */
export function newJti(): string {
  return randomUUID();
}

export class X5cJwtError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'X5cJwtError';
  }
}

export interface VerifiedX5cJwt {
  alg: string;
  payload: JWTPayload & Record<string, unknown>;
  leaf: X509Certificate;
  signer: CertificateIdentity;
  path: X509Certificate[];
}

/**
 * Verifies a UDAP JWT: header `alg` among `algorithms` and `x5c` present, the chain to one of
 * `anchors` (IG §7.1.6), the signature with the public key of the `x5c` leaf. Claims are the
 * caller's to check (each profile has its own). Throws `X5cJwtError` with a reason in words.
 */
export async function verifyX5cJwt(
  jwt: string,
  anchors: readonly X509Certificate[],
  options: { algorithms?: readonly string[]; now?: Date } = {},
): Promise<VerifiedX5cJwt> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw new X5cJwtError('not a JWS in compact serialisation');
  }
  const algorithms = options.algorithms ?? UDAP_ALGORITHMS;
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw new X5cJwtError(`the JWT alg ${String(header.alg)} is not one of ${algorithms.join(', ')}`);
  }
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || !header.x5c.every((c) => typeof c === 'string')) {
    throw new X5cJwtError('the JWT header has no x5c certificate chain');
  }
  let path: X509Certificate[];
  try {
    const chain = header.x5c.map(parseCertificate);
    path = validateChain(chain, anchors, options.now);
  } catch (error) {
    if (error instanceof CertificateTrustError) throw new X5cJwtError(error.reason);
    throw error;
  }
  const leaf = path[0];
  let payloadBytes: Uint8Array;
  try {
    const publicKey: KeyObject = createPublicKey(leaf.publicKey.export({ format: 'pem', type: 'spki' }));
    ({ payload: payloadBytes } = await compactVerify(jwt, publicKey, { algorithms: [header.alg] }));
  } catch {
    throw new X5cJwtError('the JWT signature does not verify with the x5c leaf certificate');
  }
  let payload: JWTPayload & Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    throw new X5cJwtError('the JWT payload is not JSON');
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    throw new X5cJwtError('the JWT payload is not an object');
  return { alg: header.alg, payload, leaf, signer: identityOf(leaf), path };
}
