// @peculiar/x509 resolves its services with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SecretValue } from '#domain';

/**
 * Key material of an app's UDAP identity (HL7 UDAP Security IG): an RSA key pair made here
 * (RS256 is the one algorithm every UDAP party SHALL support, IG §7.1.2), a PKCS #10 CSR
 * naming the app's URI in a uniformResourceIdentifier SAN (IG §3.1: the SAN URI is the `iss`),
 * and checks of an uploaded chain or key. The private key leaves this module only as a
 * `SecretValue` (PKCS #8 PEM) bound for the secret store.
 */

// The library takes a WebCrypto object; Node's is one (the DOM lib types are not loaded here).
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const RSA_SIGNING: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export const UDAP_KEY_ALG = 'RS256' as const;

export interface GeneratedUdapKey {
  privateKeyPem: SecretValue;
  csrPem: string;
}

export class KeyMaterialError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'KeyMaterialError';
  }
}

/** A new key pair and the CSR for the community CA: subject `CN={commonName}`, SAN URI `{sanUri}`. */
export async function generateUdapKeyAndCsr(options: {
  commonName: string;
  sanUri: string;
}): Promise<GeneratedUdapKey> {
  const keys = (await webcrypto.subtle.generateKey(RSA_SIGNING, true, ['sign', 'verify'])) as KeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.commonName] }],
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: RSA_SIGNING,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: options.sanUri }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    privateKeyPem: new SecretValue(pemOf('PRIVATE KEY', pkcs8)),
    csrPem: csr.toString('pem'),
  };
}

/** A new CSR for a key the broker holds already (renewal with the same key is not used: renewal makes a new key). */
export function pemOf(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The public key of the CSR's key, to check that an uploaded leaf certifies the key the broker holds. */
export function publicKeyOfPrivate(privateKeyPem: SecretValue): string {
  try {
    return createPublicKey(createPrivateKey(privateKeyPem.reveal())).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    // Never echo the key material in an error.
    throw new KeyMaterialError('the private key is not a PEM private key (PKCS #8 or PKCS #1)');
  }
}

/** Normalises an uploaded private key (PKCS #1 or #8 PEM) to PKCS #8 PEM; RSA only (RS256). */
export function normalisePrivateKey(privateKeyPem: SecretValue): SecretValue {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(privateKeyPem.reveal());
  } catch {
    throw new KeyMaterialError('the private key is not a PEM private key (PKCS #8 or PKCS #1)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new KeyMaterialError('only RSA keys are supported (RS256, IG §7.1.2)');
  return new SecretValue(key.export({ format: 'pem', type: 'pkcs8' }).toString());
}

/** True when `certificate` certifies the public half of `privateKeyPem`. */
export function certificateMatchesKey(certificate: X509Certificate, privateKeyPem: SecretValue): boolean {
  const fromCertificate = certificate.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return fromCertificate === publicKeyOfPrivate(privateKeyPem);
}
