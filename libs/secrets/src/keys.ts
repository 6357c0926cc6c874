import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { SecretValue } from '#domain';

/**
 * Signing keys for `private_key_jwt` client authentication (RFC 7523 §2.2). SMART App Launch
 * requires clients to support ES384 and RS384; ES384 is the default (small keys, fast to make).
 */
export type SigningAlgorithm = 'ES384' | 'RS384';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES384', 'RS384'];

/** A public JWK ready for a JWKS: key type members plus `kid`, `alg` and `use: "sig"`. */
export interface PublicSigningJwk {
  kty: 'EC' | 'RSA';
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface GeneratedSigningKey {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicSigningJwk;
  /** The private JWK (with kid, alg, use) as JSON, to be written to the secret store as is. */
  privateJwk: SecretValue;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

/** Members of the public key per key type (RFC 7518 §6.2.1, §6.3.1); nothing private can slip through. */
const PUBLIC_MEMBERS = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'] } as const;

export async function generateSigningKey(
  alg: SigningAlgorithm = 'ES384',
  options: { modulusLength?: number } = {},
): Promise<GeneratedSigningKey> {
  if (!SIGNING_ALGORITHMS.includes(alg)) throw new Error(`unsupported signing algorithm ${String(alg)}`);
  const modulusLength = options.modulusLength ?? 2048;
  if (alg === 'RS384' && !(Number.isInteger(modulusLength) && modulusLength >= 2048)) {
    throw new Error('RS384 keys need a modulus of at least 2048 bits');
  }
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS384' ? { modulusLength } : {}) });
  const exported = await exportJWK(pair.publicKey);
  // RFC 7638 §3: the thumbprint covers only the required public members, so it names the key itself.
  const kid = await calculateJwkThumbprint(exported, 'sha256');
  const publicJwk = publicPart({ ...exported, kty: exported.kty as PublicSigningJwk['kty'], kid, alg, use: 'sig' });
  const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid: publicJwk.kid, alg, use: 'sig' };
  return { kid: publicJwk.kid, alg, publicJwk, privateJwk: new SecretValue(JSON.stringify(privateJwk)) };
}

/** Loads a private key written by `generateSigningKey`, for signing client assertions. */
export async function importSigningKey(privateJwk: SecretValue): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(privateJwk.reveal()) as JWK;
  } catch {
    // JSON.parse messages quote the input: never let them out.
    throw new Error('stored signing key is not valid JSON');
  }
  const alg = jwk.alg as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg) || typeof jwk.kid !== 'string' || typeof jwk.d !== 'string') {
    throw new Error('stored signing key is not a private ES384/RS384 JWK with a kid');
  }
  return { kid: jwk.kid, alg, key: (await importJWK(jwk, alg)) as CryptoKey };
}

/** A JWKS document (RFC 7517 §5) of public keys, e.g. for an app's `jwks` or `jwks_uri`. */
export function toJwks(publicKeys: readonly PublicSigningJwk[]): { keys: PublicSigningJwk[] } {
  return { keys: publicKeys.map((key) => publicPart(key)) };
}

function publicPart(key: PublicSigningJwk): PublicSigningJwk {
  const members = PUBLIC_MEMBERS[key.kty];
  if (!members) throw new Error(`unsupported key type ${String(key.kty)}`);
  const picked: PublicSigningJwk = { kty: key.kty, kid: key.kid, alg: key.alg, use: 'sig' };
  for (const member of members) picked[member] = key[member];
  return picked;
}
