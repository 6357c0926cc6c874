import { Inject, Injectable } from '@nestjs/common';
import { randomUUID, type X509Certificate } from 'node:crypto';
import {
  DomainError,
  ErrorCode,
  SECRET_STORE,
  SecretValue,
  ValidationError,
  type SecretStore,
  type TenantActor,
} from '#domain';
import {
  AppCertificateRepository,
  AppRepository,
  AuditRepository,
  TrustCommunityRepository,
  type AppCertificate,
} from '#persistence';
import {
  certificateMatchesKey,
  generateUdapKeyAndCsr,
  KeyMaterialError,
  normalisePrivateKey,
  secretNames,
  UDAP_KEY_ALG,
} from '#secrets';
import {
  CertificateTrustError,
  identityOf,
  parseCertificate,
  toX5c,
  validateChain,
  type UdapSigner,
} from '#smart-client';
import {
  createCertificateSchema,
  importCertificateSchema,
  parseInput,
  pemList,
  uploadChainSchema,
} from './udap-input.js';

/**
 * An app's UDAP identity per trust community (tenant API): the broker makes the key pair and
 * the CSR, the community CA signs it, the tenant uploads the issued chain; or the tenant
 * uploads a chain with its key. The private key goes to the secret store at once and is never
 * returned. Renewal is the same path with a new key (`renew`), re-registering afterwards.
 */
@Injectable()
export class AppCertificatesService {
  constructor(
    private readonly certificates: AppCertificateRepository,
    private readonly communities: TrustCommunityRepository,
    private readonly apps: AppRepository,
    private readonly audit: AuditRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
  ) {}

  /** New key pair + CSR (subject CN, SAN URI = the app's UDAP iss). */
  async create(actor: TenantActor, appId: string, input: unknown): Promise<AppCertificate> {
    const body = parseInput(createCertificateSchema, input, 'app certificate');
    const app = await this.apps.findById(actor.tenantId, appId);
    await this.communities.findById(body.communityId);
    return this.newKey(actor, app.id, body.communityId, body.sanUri, body.commonName ?? app.name.slice(0, 64));
  }

  /** Renewal: a new key and CSR for the same identity; the chain upload activates it and re-registers. */
  async renew(actor: TenantActor, certificateId: string): Promise<AppCertificate> {
    const current = await this.certificates.findById(actor.tenantId, certificateId);
    if (current.state !== 'active' || !current.sanUri) {
      throw new DomainError(ErrorCode.Conflict, 'only an active certificate can be renewed');
    }
    const leaf = parseCertificate(current.chainPem[0]);
    const commonName = /CN=([^,\n]+)/.exec(leaf.subject)?.[1] ?? 'UDAP client';
    return this.newKey(actor, current.appId, current.communityId, current.sanUri, commonName, current.id);
  }

  private async newKey(
    actor: TenantActor,
    appId: string,
    communityId: string,
    sanUri: string,
    commonName: string,
    replacesId?: string,
  ): Promise<AppCertificate> {
    const id = randomUUID();
    const { privateKeyPem, csrPem } = await generateUdapKeyAndCsr({ commonName, sanUri });
    const privateKey = await this.secrets.put(secretNames.appCertificateKey(actor.tenantId, appId, id), privateKeyPem, {
      requestToken: id,
      tags: { 'broker:tenant': actor.tenantId, 'broker:app': appId },
    });
    const certificate = await this.certificates.create({
      id,
      tenantId: actor.tenantId,
      appId,
      communityId,
      alg: UDAP_KEY_ALG,
      privateKey,
      csrPem,
      replacesId,
    });
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId,
      action: replacesId ? 'udap.certificate_renewal_started' : 'udap.certificate_key_created',
      outcome: 'success',
      details: { certificateId: id, communityId, sanUri, replacesId },
    });
    return certificate;
  }

  /** The issued chain for a CSR made here: leaf must certify the broker's key and chain to the community. */
  async uploadChain(actor: TenantActor, certificateId: string, input: unknown): Promise<AppCertificate> {
    const body = parseInput(uploadChainSchema, input, 'certificate chain');
    const certificate = await this.certificates.findById(actor.tenantId, certificateId);
    if (certificate.state !== 'awaiting_chain') {
      throw new DomainError(ErrorCode.Conflict, 'this certificate has its chain already; renew it for a new one');
    }
    const chain = pemList(body.chain).map(parseCertificate);
    const key = await this.readKey(certificate);
    if (!certificateMatchesKey(chain[0], key)) {
      throw invalidChain('the first certificate does not certify the key of this CSR');
    }
    const identity = await this.checkChain(certificate.communityId, chain);
    if (certificate.replacesId) {
      const replaced = await this.certificates.findById(actor.tenantId, certificate.replacesId);
      if (replaced.sanUri && !identity.uriSubjectAltNames.includes(replaced.sanUri)) {
        throw invalidChain(`a renewal must keep the client URI ${replaced.sanUri} in its SAN (IG §3.4: the same iss)`);
      }
    }
    const activated = await this.certificates.activate(actor.tenantId, certificateId, {
      chainPem: chain.map((c) => c.toString()),
      subject: identity.subject,
      sanUri: identity.uriSubjectAltNames[0],
      notBefore: identity.notBefore,
      notAfter: identity.notAfter,
    });
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId: certificate.appId,
      action: 'udap.certificate_activated',
      outcome: 'success',
      details: { certificateId, notAfter: identity.notAfter.toISOString(), sanUri: activated.sanUri },
    });
    return activated;
  }

  /** An existing chain and its private key, uploaded together. The key is checked, stored, and never shown. */
  async importWithKey(actor: TenantActor, appId: string, input: unknown): Promise<AppCertificate> {
    const body = parseInput(importCertificateSchema, input, 'certificate and key');
    const app = await this.apps.findById(actor.tenantId, appId);
    await this.communities.findById(body.communityId);
    let key: SecretValue;
    try {
      key = normalisePrivateKey(new SecretValue(body.privateKey));
    } catch (error) {
      if (error instanceof KeyMaterialError) {
        throw new ValidationError('invalid private key', [{ path: 'privateKey', message: error.reason }]);
      }
      throw error;
    }
    const chain = pemList(body.chain).map(parseCertificate);
    if (!certificateMatchesKey(chain[0], key))
      throw invalidChain('the first certificate does not certify this private key');
    const identity = await this.checkChain(body.communityId, chain);
    const id = randomUUID();
    const privateKey = await this.secrets.put(secretNames.appCertificateKey(actor.tenantId, app.id, id), key, {
      requestToken: id,
      tags: { 'broker:tenant': actor.tenantId, 'broker:app': app.id },
    });
    await this.certificates.create({
      id,
      tenantId: actor.tenantId,
      appId: app.id,
      communityId: body.communityId,
      alg: UDAP_KEY_ALG,
      privateKey,
    });
    const activated = await this.certificates.activate(actor.tenantId, id, {
      chainPem: chain.map((c) => c.toString()),
      subject: identity.subject,
      sanUri: identity.uriSubjectAltNames[0],
      notBefore: identity.notBefore,
      notAfter: identity.notAfter,
    });
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId: app.id,
      action: 'udap.certificate_imported',
      outcome: 'success',
      details: { certificateId: id, communityId: body.communityId, sanUri: activated.sanUri },
    });
    return activated;
  }

  list(actor: TenantActor, appId: string): Promise<AppCertificate[]> {
    return this.apps.findById(actor.tenantId, appId).then(() => this.certificates.listForApp(actor.tenantId, appId));
  }

  /** Active certificates expiring within `days` with no renewal started (expiry monitoring). */
  expiring(actor: TenantActor, days: number): Promise<AppCertificate[]> {
    return this.certificates.listExpiringWithoutRenewal(actor.tenantId, new Date(Date.now() + days * 86_400_000));
  }

  get(actor: TenantActor, certificateId: string): Promise<AppCertificate> {
    return this.certificates.findById(actor.tenantId, certificateId);
  }

  /** What signs for this certificate: the key from the secret store and the chain as `x5c`. */
  async signer(certificate: AppCertificate): Promise<UdapSigner> {
    if (certificate.chainPem.length === 0)
      throw new DomainError(ErrorCode.Conflict, 'the certificate has no issued chain yet');
    return {
      alg: UDAP_KEY_ALG,
      privateKeyPem: await this.readKey(certificate),
      x5c: certificate.chainPem.map((pem) => toX5c(parseCertificate(pem))),
    };
  }

  private async readKey(certificate: AppCertificate): Promise<SecretValue> {
    const stored = await this.secrets.get(certificate.privateKey.name, { versionId: certificate.privateKey.versionId });
    if (!stored)
      throw new DomainError(ErrorCode.Internal, 'the private key of this certificate is missing from the secret store');
    return stored.value;
  }

  private async checkChain(communityId: string, chain: X509Certificate[]) {
    const community = await this.communities.findById(communityId);
    try {
      validateChain(chain, community.trustAnchors.map(parseCertificate));
    } catch (error) {
      if (error instanceof CertificateTrustError) throw invalidChain(error.reason);
      throw error;
    }
    const identity = identityOf(chain[0]);
    if (identity.uriSubjectAltNames.length === 0) {
      throw invalidChain(
        'the certificate has no uniformResourceIdentifier SAN: UDAP needs the client URI there (IG §3.1)',
      );
    }
    return identity;
  }
}

function invalidChain(reason: string): ValidationError {
  return new ValidationError('invalid certificate chain', [{ path: 'chain', message: reason }]);
}
