import { X509Certificate } from 'node:crypto';

/**
 * X.509 checks UDAP needs, on Node's own `X509Certificate` (no library on the validating side).
 *
 * HL7 UDAP Security IG §7.1.6 (General Requirements, "JWT validation"): the JWT consumer builds
 * a chain from the producer's certificate (the `x5c` leaf) to an anchor it trusts and checks
 * that no certificate of the chain has expired. Revocation (OCSP / CRL) is not checked yet: see
 * the README's known limitations.
 */

export class CertificateTrustError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CertificateTrustError';
  }
}

/** One certificate from a PEM block or from base64 DER (an `x5c` element, RFC 7515 §4.1.6). */
export function parseCertificate(text: string): X509Certificate {
  const trimmed = text.trim();
  const der = trimmed.startsWith('-----BEGIN')
    ? Buffer.from(trimmed.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64')
    : Buffer.from(trimmed, 'base64');
  try {
    return new X509Certificate(der);
  } catch {
    throw new CertificateTrustError('not an X.509 certificate');
  }
}

/** Every certificate of a PEM bundle, in order. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map(parseCertificate);
}

export function toPem(certificate: X509Certificate): string {
  return certificate.toString();
}

/** base64 DER, the `x5c` form. */
export function toX5c(certificate: X509Certificate): string {
  return certificate.raw.toString('base64');
}

/** The `uniformResourceIdentifier` entries of the Subject Alternative Name extension. */
export function uriSubjectAltNames(certificate: X509Certificate): string[] {
  const san = certificate.subjectAltName ?? '';
  // Node lists entries as `URI:https://x, DNS:y`; values with a comma or a quote come JSON-quoted.
  const uris: string[] = [];
  const pattern = /URI:("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of san.matchAll(pattern)) {
    const raw = match[1].trim();
    uris.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return uris;
}

export interface CertificateIdentity {
  subject: string;
  issuer: string;
  uriSubjectAltNames: string[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  fingerprint256: string;
}

export function identityOf(certificate: X509Certificate): CertificateIdentity {
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    uriSubjectAltNames: uriSubjectAltNames(certificate),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
  };
}

function assertValidAt(certificate: X509Certificate, now: Date, role: string): void {
  if (now < new Date(certificate.validFrom))
    throw new CertificateTrustError(`the ${role} certificate is not valid yet`);
  if (now > new Date(certificate.validTo)) {
    throw new CertificateTrustError(
      `the ${role} certificate expired on ${new Date(certificate.validTo).toISOString()}`,
    );
  }
}

/**
 * `subject` names `issuer` as its issuer and carries its signature. The signature is the proof;
 * the name match picks the candidate (OpenSSL's checkIssued also insists on key identifier
 * extensions matching exactly, which some CAs' certificates do not).
 */
function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.issuer === issuer.subject && subject.verify(issuer.publicKey);
}

/**
 * Validates `chain` (leaf first; the rest are intermediates in any order, as `x5c` allows)
 * up to one of `anchors`. Returns the path from the leaf to the anchor; throws
 * `CertificateTrustError` saying what is wrong (untrusted issuer, expired, bad signature).
 */
export function validateChain(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: Date = new Date(),
): X509Certificate[] {
  if (chain.length === 0) throw new CertificateTrustError('x5c is empty');
  if (anchors.length === 0) throw new CertificateTrustError('the trust community has no trust anchor');
  const [leaf, ...intermediates] = chain;
  assertValidAt(leaf, now, 'leaf');
  const path = [leaf];
  let current = leaf;
  // A chain longer than what was sent plus one anchor cannot exist: the bound ends loops.
  for (let depth = 0; depth <= intermediates.length; depth++) {
    const anchor = anchors.find((candidate) => issued(candidate, current));
    if (anchor) {
      assertValidAt(anchor, now, 'trust anchor');
      path.push(anchor);
      return path;
    }
    // The leaf itself being an anchor is trusted too (a community may pin end-entity certificates).
    if (anchors.some((candidate) => candidate.fingerprint256 === current.fingerprint256)) return path;
    const next = intermediates.find((candidate) => !path.includes(candidate) && issued(candidate, current));
    if (!next) break;
    assertValidAt(next, now, 'intermediate');
    if (!next.ca) throw new CertificateTrustError('an intermediate certificate is not a CA certificate');
    path.push(next);
    current = next;
  }
  throw new CertificateTrustError("the certificate chain does not lead to a trust anchor of the site's community");
}
