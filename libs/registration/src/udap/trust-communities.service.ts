import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, ValidationError } from '#domain';
import { AuditRepository, TrustCommunityRepository, UdapSiteRepository, type TrustCommunity } from '#persistence';
import { CertificateTrustError, parseCertificate } from '#smart-client';
import {
  createCommunitySchema,
  healthSystemUdapSchema,
  parseInput,
  pemList,
  updateCommunitySchema,
} from './udap-input.js';

const OPERATOR = { type: 'operator' } as const;

/**
 * UDAP trust communities (operator): a URI and the trust anchors (CA certificates) every
 * server and client certificate of the community chains to (IG §7.1.6), and which community
 * each health system is registered with.
 */
@Injectable()
export class TrustCommunitiesService {
  constructor(
    private readonly communities: TrustCommunityRepository,
    private readonly sites: UdapSiteRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(input: unknown): Promise<TrustCommunity> {
    const body = parseInput(createCommunitySchema, input, 'trust community');
    const trustAnchors = checkAnchors(pemList(body.trustAnchors));
    if (await this.communities.findByUri(body.uri)) {
      throw new DomainError(ErrorCode.Conflict, `a trust community with URI ${body.uri} exists already`);
    }
    const community = await this.communities.create({ uri: body.uri, name: body.name, trustAnchors });
    await this.audit.record({
      actor: OPERATOR,
      action: 'udap.community_created',
      outcome: 'success',
      details: { communityId: community.id, uri: community.uri },
    });
    return community;
  }

  list(): Promise<TrustCommunity[]> {
    return this.communities.list();
  }

  get(id: string): Promise<TrustCommunity> {
    return this.communities.findById(id);
  }

  async update(id: string, input: unknown): Promise<TrustCommunity> {
    const body = parseInput(updateCommunitySchema, input, 'trust community');
    const community = await this.communities.update(id, {
      ...(body.name && { name: body.name }),
      ...(body.trustAnchors && { trustAnchors: checkAnchors(pemList(body.trustAnchors)) }),
    });
    await this.audit.record({
      actor: OPERATOR,
      action: 'udap.community_updated',
      outcome: 'success',
      details: { communityId: id },
    });
    return community;
  }

  /** Names the community a health system is registered with (the discovery `community` parameter, IG §2.4). */
  async setHealthSystemUdap(healthSystemId: string, input: unknown) {
    const body = parseInput(healthSystemUdapSchema, input, 'health system UDAP settings');
    if (body.communityId) await this.communities.findById(body.communityId);
    await this.sites.setHealthSystem(healthSystemId, body);
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId,
      action: 'udap.health_system_updated',
      outcome: 'success',
      details: { communityId: body.communityId, requiresSoftwareStatement: body.requiresSoftwareStatement },
    });
    return this.healthSystemUdap(healthSystemId);
  }

  async healthSystemUdap(healthSystemId: string) {
    const udap = await this.sites.healthSystem(healthSystemId);
    const community = udap.communityId ? await this.communities.findById(udap.communityId) : null;
    return { ...udap, community };
  }
}

/** Every anchor must be a CA certificate, valid now. */
function checkAnchors(pems: string[]): string[] {
  if (pems.length === 0)
    throw new ValidationError('invalid trust anchors', [{ path: 'trustAnchors', message: 'no PEM certificate found' }]);
  return pems.map((pem, index) => {
    try {
      const certificate = parseCertificate(pem);
      if (!certificate.ca) throw new CertificateTrustError('is not a CA certificate');
      if (new Date(certificate.validTo) < new Date()) throw new CertificateTrustError('has expired');
      return certificate.toString();
    } catch (error) {
      const reason = error instanceof CertificateTrustError ? error.reason : 'is not a certificate';
      throw new ValidationError('invalid trust anchors', [{ path: `trustAnchors[${index}]`, message: reason }]);
    }
  });
}
