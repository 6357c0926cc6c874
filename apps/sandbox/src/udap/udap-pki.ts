// @peculiar/x509 resolves its services with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The sandbox's test PKI, generated at start: a community CA (the trust anchor tenants and
 * the broker's operator configure), a second CA nobody trusts (for negative tests), server
 * certificates for the UDAP sites, and a signer for the apps' CSRs.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

const RSA: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

const DAY_MS = 24 * 3600 * 1000;

export interface CertificateAuthority {
  name: string;
  certificate: x509.X509Certificate;
  keys: KeyPair;
}

export interface IssuedIdentity {
  certificate: x509.X509Certificate;
  keys: KeyPair;
  /** PKCS #8 PEM of the private key (the sandbox's own keys only). */
  privateKeyPem: string;
}

async function newKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as unknown as KeyPair;
}

function serial(): string {
  // A positive serial: clear the top bit.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

export async function createAuthority(name: string): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    signingAlgorithm: RSA,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { name, certificate, keys };
}

export interface IssueOptions {
  notBefore?: Date;
  notAfter?: Date;
}

async function issue(
  authority: CertificateAuthority,
  subject: string,
  publicKey: x509.PublicKey | CryptoKeyLike,
  sanUris: string[],
  options: IssueOptions,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: authority.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - 3600 * 1000),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: RSA,
    publicKey: publicKey as x509.PublicKey,
    signingKey: authority.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension(sanUris.map((value) => ({ type: 'url' as const, value }))),
      await x509.AuthorityKeyIdentifierExtension.create(authority.keys.publicKey),
    ],
  });
}

type CryptoKeyLike = KeyPair['publicKey'];

/** A key pair and a certificate for it (site servers; also apps in tests that bring their own key). */
export async function issueIdentity(
  authority: CertificateAuthority,
  commonName: string,
  sanUri: string,
  options: IssueOptions = {},
): Promise<IssuedIdentity> {
  const keys = await newKeys();
  const certificate = await issue(authority, `CN=${commonName}`, keys.publicKey, [sanUri], options);
  const pkcs8 = Buffer.from(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey),
  );
  const body = pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return { certificate, keys, privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n` };
}

export class CsrError extends Error {}

/**
 * Signs a CSR as the community CA would: the subject and the uniformResourceIdentifier SANs of
 * the request, after checking its self-signature.
 */
export async function signCsr(
  authority: CertificateAuthority,
  csrPem: string,
  options: IssueOptions = {},
): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CsrError('not a PEM PKCS #10 certificate request');
  }
  if (!(await csr.verify())) throw new CsrError('the CSR signature does not verify');
  const san = csr.extensions.find(
    (extension): extension is x509.SubjectAlternativeNameExtension =>
      extension instanceof x509.SubjectAlternativeNameExtension,
  );
  const uris = (san?.names.items ?? []).filter((name) => name.type === 'url').map((name) => name.value);
  if (uris.length === 0) throw new CsrError('the CSR names no uniformResourceIdentifier SAN (the app URI)');
  const certificate = await issue(authority, csr.subject, csr.publicKey, uris, options);
  return certificate.toString('pem');
}

export function pemOf(certificate: x509.X509Certificate): string {
  return certificate.toString('pem');
}

export function x5cOf(certificate: x509.X509Certificate): string {
  return Buffer.from(certificate.rawData).toString('base64');
}

export function nodeCertificate(certificate: x509.X509Certificate): NodeCertificate {
  return new NodeCertificate(Buffer.from(certificate.rawData));
}
