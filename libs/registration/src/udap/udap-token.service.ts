import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, type TenantActor } from '#domain';
import {
  AppCertificateRepository,
  AuditRepository,
  RegistrationRepository,
  TrustCommunityRepository,
  UdapSiteRepository,
} from '#persistence';
import {
  hl7B2bExtension,
  hl7B2bSchema,
  identityOf,
  parseCertificate,
  requestUdapClientCredentialsToken,
  SmartClientError,
  type SafeHttpClient,
} from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { AppCertificatesService } from './app-certificates.service.js';
import { parseInput, udapSettingsSchema } from './udap-input.js';
import { UdapRegistrationUseCase } from './udap-registration.use-case.js';

export interface UdapTokenCheck {
  ok: boolean;
  clientId: string;
  tokenEndpoint: string;
  /** Authorization extensions the assertion carried (IG §5.3), e.g. `hl7-b2b`. */
  extensionsSent: string[];
  scope?: string;
  expiresIn?: number;
  error?: { code: string; description: string | null; httpStatus: number | null };
}

/**
 * UDAP JWT-Based Client Authentication for a registered client (IG §5.2, §5.3): the broker
 * proves the registration works with a client_credentials token request (the access token is
 * dropped), and tells the tenant what its app needs to do the same.
 */
@Injectable()
export class UdapTokenService {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly sites: UdapSiteRepository,
    private readonly certificates: AppCertificateRepository,
    private readonly communities: TrustCommunityRepository,
    private readonly appCertificates: AppCertificatesService,
    private readonly udap: UdapRegistrationUseCase,
    private readonly audit: AuditRepository,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
  ) {}

  /** What an app needs for UDAP token requests at this site: no key, no secret. */
  async describe(actor: TenantActor, registrationId: string) {
    const { registration, healthSystem } = await this.registrations.findWithContext(actor.tenantId, registrationId);
    const udap = await this.sites.registration(actor.tenantId, registrationId);
    if (!udap.certificateId) throw new DomainError(ErrorCode.NotFound, 'this registration was not made the UDAP way');
    const certificate = await this.certificates.findById(actor.tenantId, udap.certificateId);
    const site = await this.sites.healthSystem(healthSystem.id);
    const metadata = (site.metadata ?? {}) as {
      endpoints?: { token?: string };
      authorizationExtensionsRequired?: string[];
      authorizationExtensionsSupported?: string[];
    };
    const community = await this.communities.findById(certificate.communityId);
    return {
      registrationId,
      clientId: registration.clientId,
      iss: udap.iss,
      tokenEndpoint: metadata.endpoints?.token ?? null,
      authorizationExtensionsSupported: metadata.authorizationExtensionsSupported ?? [],
      authorizationExtensionsRequired: metadata.authorizationExtensionsRequired ?? [],
      b2b: await this.sites.appB2b(actor.tenantId, registration.appId),
      community: { id: community.id, uri: community.uri },
      certificate: certificateView(certificate),
    };
  }

  /** A client_credentials token request signed with the registration's certificate. */
  async check(actor: TenantActor, registrationId: string, options: { b2b?: boolean } = {}): Promise<UdapTokenCheck> {
    const { registration, healthSystem } = await this.registrations.findWithContext(actor.tenantId, registrationId);
    const udap = await this.sites.registration(actor.tenantId, registrationId);
    if (!udap.certificateId || !registration.clientId || registration.state !== 'registered') {
      throw new DomainError(ErrorCode.Conflict, 'only a registered UDAP client can request a token');
    }
    const grants = (registration.grantedMetadata?.grant_types ??
      registration.requestedMetadata.grant_types ??
      []) as string[];
    if (!grants.includes('client_credentials')) {
      throw new DomainError(
        ErrorCode.Conflict,
        'the client is not registered for client_credentials; a token needs a user (authorization_code)',
      );
    }
    const certificate = await this.certificates.findById(actor.tenantId, udap.certificateId);
    const community = await this.communities.findById(certificate.communityId);
    const description = await this.udap.discover(healthSystem.id, healthSystem.fhirBaseUrl, community);
    const b2bValues = await this.sites.appB2b(actor.tenantId, registration.appId);
    // IG §5.3: hl7-b2b is required for B2B client_credentials; sent when the site requires or
    // supports it and the app has its values (options.b2b === false leaves it out, for tests).
    const required = description.authorizationExtensionsRequired.includes('hl7-b2b');
    const supported = description.authorizationExtensionsSupported.includes('hl7-b2b');
    const sendB2b = options.b2b ?? (required || supported);
    const extensions: Record<string, unknown> = {};
    if (sendB2b && b2bValues) extensions['hl7-b2b'] = hl7B2bExtension(hl7B2bSchema.parse(b2bValues));
    if (required && !extensions['hl7-b2b'] && options.b2b !== false) {
      throw new DomainError(
        ErrorCode.Conflict,
        "the site requires the hl7-b2b extension: set the app's UDAP B2B values (organization_id, purpose_of_use) first",
      );
    }
    const base = {
      clientId: registration.clientId,
      tokenEndpoint: description.endpoints.token,
      extensionsSent: Object.keys(extensions),
    };
    let check: UdapTokenCheck;
    try {
      const token = await requestUdapClientCredentialsToken(this.http, {
        clientId: registration.clientId,
        tokenEndpoint: description.endpoints.token,
        signer: await this.appCertificates.signer(certificate),
        scope: String(registration.grantedMetadata?.scope ?? registration.requestedMetadata.scope ?? ''),
        extensions,
      });
      check = { ok: true, ...base, scope: token.scope, expiresIn: token.expiresIn };
    } catch (error) {
      if (!(error instanceof SmartClientError)) throw error;
      check = {
        ok: false,
        ...base,
        error: { code: error.error, description: error.errorDescription ?? null, httpStatus: error.httpStatus ?? null },
      };
    }
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId: registration.appId,
      healthSystemId: healthSystem.id,
      registrationId,
      action: 'udap.token_checked',
      outcome: check.ok ? 'success' : 'failure',
      details: { extensionsSent: check.extensionsSent, error: check.error?.code },
    });
    return check;
  }

  /** The hl7-b2b values (IG §5.3.1) an app's token requests carry. */
  async setB2b(actor: TenantActor, appId: string, input: unknown) {
    const body = parseInput(udapSettingsSchema, input, 'UDAP settings');
    await this.sites.setAppB2b(actor.tenantId, appId, body.b2b);
    await this.audit.record({ actor, tenantId: actor.tenantId, appId, action: 'udap.b2b_updated', outcome: 'success' });
    return { b2b: body.b2b };
  }
}

/** The public face of a certificate: identity, expiry, community; never the key. */
export function certificateView(certificate: import('#persistence').AppCertificate) {
  const leaf = certificate.chainPem[0] ? identityOf(parseCertificate(certificate.chainPem[0])) : undefined;
  return {
    id: certificate.id,
    appId: certificate.appId,
    communityId: certificate.communityId,
    state: certificate.state,
    alg: certificate.alg,
    subject: certificate.subject,
    sanUri: certificate.sanUri,
    issuer: leaf?.issuer ?? null,
    serialNumber: leaf?.serialNumber ?? null,
    notBefore: certificate.notBefore?.toISOString() ?? null,
    notAfter: certificate.notAfter?.toISOString() ?? null,
    replacesId: certificate.replacesId,
    csr: certificate.state === 'awaiting_chain' ? certificate.csrPem : null,
    chain: certificate.chainPem,
    createdAt: certificate.createdAt.toISOString(),
  };
}
