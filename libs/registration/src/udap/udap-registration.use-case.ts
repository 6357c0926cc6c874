import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DomainError,
  ErrorCode,
  SECRET_STORE,
  REGISTRATION_LEDGER,
  type RegistrationLedger,
  type Actor,
  type Registration,
  type RegistrationState,
  type SecretStore,
  type TenantId,
} from '#domain';
import {
  AppCertificateRepository,
  AuditRepository,
  PrismaService,
  RegistrationAttemptRepository,
  RegistrationRepository,
  TrustCommunityRepository,
  UdapSiteRepository,
  type AppCertificate,
  type RegistrationContext,
  type TrustCommunity,
} from '#persistence';
import { secretNames } from '#secrets';
import {
  discoverUdap,
  parseCertificate,
  registerUdap,
  signSoftwareStatement,
  softwareStatementClaims,
  UdapMetadataError,
  type SafeHttpClient,
  type UdapClientMetadata,
  type UdapRegistrationResult,
  type UdapServerDescription,
} from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { sealCredential } from '../credentials/registration-credential.js';
import { RegistrationEvents } from '../engine/registration-events.js';
import {
  mayHaveCreatedClient,
  permanentProblem,
  toRegistrationError,
  type RegistrationProblem,
} from '../engine/registration-errors.js';
import type { JobAttempt, RegisterOutcome } from '#queue';
import { AppCertificatesService } from './app-certificates.service.js';
import { FirstRegistrationFailure, startFirstRegistration, WORKER } from '../engine/first-registration-failure.js';

/** What makes a registration go the UDAP way: the site's community and the app's certificate in it. */
export interface UdapPlan {
  community: TrustCommunity;
  certificate: AppCertificate;
}

/**
 * UDAP Dynamic Client Registration of one app at one health system (HL7 UDAP Security IG §3),
 * with the crash-safety protocol of RFC 7591 registrations (RegisterClientUseCase): the attempt
 * is recorded with the move to `registering` before the POST; the credential (the client_id;
 * UDAP clients have no secret) goes to the secret store before the row moves to `registered`;
 * an answer that never arrives is an `unknown` attempt, and a run that finds `registering` with
 * an open attempt reports a possible orphan (RegisterClientUseCase.recoverInterruptedRegistration).
 *
 * Modification and cancellation follow IG §3.4: no RFC 7592; a new registration request with
 * the same `iss` modifies (same or new client_id), one with an empty `grant_types` cancels.
 */
@Injectable()
export class UdapRegistrationUseCase {
  private readonly logger = new Logger(UdapRegistrationUseCase.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly attempts: RegistrationAttemptRepository,
    private readonly events: RegistrationEvents,
    private readonly audit: AuditRepository,
    private readonly sites: UdapSiteRepository,
    private readonly communities: TrustCommunityRepository,
    private readonly certificates: AppCertificateRepository,
    private readonly appCertificates: AppCertificatesService,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    private readonly failure: FirstRegistrationFailure,
  ) {}

  /**
   * The UDAP path applies when the operator named a trust community for the site and the app
   * holds an active certificate of that community; otherwise the site is registered with
   * plain RFC 7591 (one onboarding may mix both kinds of sites).
   */
  async plan({ registration, sitePolicy }: RegistrationContext): Promise<UdapPlan | null> {
    const communityId = sitePolicy.udapCommunityId;
    if (!communityId) return null;
    const certificate = await this.certificates.findActive(registration.tenantId, registration.appId, communityId);
    if (!certificate) return null;
    return { community: await this.communities.findById(communityId), certificate };
  }

  /** Discovery, software statement, POST, store: from `discovering` to `registered` (or retrying / failed). */
  async register(context: RegistrationContext, attempt: JobAttempt, plan: UdapPlan): Promise<RegisterOutcome> {
    const { registration, healthSystem } = context;
    let description: UdapServerDescription;
    try {
      description = await this.discover(healthSystem.id, healthSystem.fhirBaseUrl, plan.community);
    } catch (error) {
      return this.fail(registration, 'discovering', toRegistrationError(error), attempt);
    }
    // IG §2.2: a server that registers UDAP clients lists udap_dcr.
    if (!description.profiles.includes('udap_dcr')) {
      return this.fail(
        registration,
        'discovering',
        permanentProblem(
          'registration_not_supported',
          'the site does not list udap_dcr in udap_profiles_supported (IG §2.2)',
        ),
        attempt,
      );
    }
    // IG §3.3: required certifications must be sent; the broker does not hold certifications yet.
    if (description.certificationsRequired.length > 0) {
      return this.fail(
        registration,
        'discovering',
        permanentProblem(
          'udap_certification_required',
          `the site requires certifications the app does not carry: ${description.certificationsRequired.join(', ')}`,
        ),
        attempt,
      );
    }
    let statement: { jwt: string; claims: Record<string, unknown> };
    try {
      statement = await this.statement(registration, plan.certificate, description.endpoints.registration);
    } catch (error) {
      return this.fail(registration, 'discovering', this.metadataProblem(error), attempt);
    }

    const started = await startFirstRegistration(this.ledger, registration);
    if (!started) return 'nothing_to_do';

    let result: UdapRegistrationResult;
    try {
      result = await registerUdap(this.http, {
        registrationEndpoint: description.endpoints.registration,
        softwareStatement: statement.jwt,
        requested: statement.claims,
      });
    } catch (error) {
      const problem = toRegistrationError(error);
      await this.prisma.$transaction((tx) =>
        this.attempts.finish(tx, started.id, {
          outcome: mayHaveCreatedClient(error) ? 'unknown' : 'failed',
          error: problem,
        }),
      );
      return this.fail(registration, 'registering', problem, attempt);
    }

    await this.ledger
      .write({ kind: 'note_client', attemptId: started.id, clientId: result.clientId })
      .catch(() => false);
    const credential = await this.storeCredential(registration, result.clientId, started.id);
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'registering',
          to: 'registered',
          reason: result.differences.length
            ? 'registered (UDAP); the server changed some metadata'
            : 'registered (UDAP)',
          set: {
            clientId: result.clientId,
            clientIdIssuedAt: new Date(),
            clientSecretExpiresAt: null,
            grantedMetadata: result.granted as object,
            metadataDifferences: result.differences as object[],
            credentialSecret: credential.name,
            credentialVersion: credential.versionId,
            managementSupported: false, // IG §3.4: no RFC 7592; modify and cancel by registering again
            udapCertificateId: plan.certificate.id,
            udapIss: plan.certificate.sanUri,
            lastError: null,
            nextAttemptAt: null,
          },
        },
        tx,
      );
      await this.attempts.finish(tx, started.id, {
        outcome: 'succeeded',
        httpStatus: result.httpStatus,
        clientId: result.clientId,
      });
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.created',
        outcome: 'success',
        details: {
          clientId: result.clientId,
          attemptId: started.id,
          protocol: 'udap',
          udapIss: plan.certificate.sanUri,
          certificateId: plan.certificate.id,
          differences: result.differences.map((d) => d.field),
        },
      });
    });
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
    return 'registered';
  }

  /**
   * IG §3.4 modification: a new statement with the same `iss` (the app's changed metadata, or
   * a renewed certificate). `registered → updating → registered`; a refusal leaves the client
   * as it was (still `registered`, with the error shown), never `failed`.
   */
  async modify(
    tenantId: TenantId,
    registrationId: string,
    actor: Actor,
    certificateId?: string,
  ): Promise<Registration> {
    return this.reRegister(tenantId, registrationId, actor, { kind: 'modify', certificateId });
  }

  /**
   * Certificate renewal: every registration made with `fromCertificateId` registers again
   * with the renewed certificate (same iss, IG §3.4). Each one switches to the new certificate
   * only when its site accepted it, so token requests keep signing with a certificate the site
   * knows; the old one stays valid until it expires, hence no failed token request meanwhile.
   */
  async switchCertificate(
    actor: Actor & { tenantId: TenantId },
    fromCertificateId: string,
    toCertificateId: string,
  ): Promise<Registration[]> {
    const using = await this.sites.registrationsUsingCertificate(actor.tenantId, fromCertificateId);
    const results: Registration[] = [];
    for (const { id, state } of using) {
      if (state !== 'registered') continue;
      results.push(await this.modify(actor.tenantId, id, actor, toCertificateId));
    }
    return results;
  }

  /**
   * The site half of an offboarding (DeleteClientUseCase drives the states): a UDAP client is
   * cancelled by registering with an empty `grant_types` (IG §3.4). False when the registration
   * was not made the UDAP way; throws the site's error (a SmartClientError) when it refuses.
   */
  async cancelAtSite(registration: Registration): Promise<boolean> {
    const udap = await this.sites.registration(registration.tenantId, registration.id);
    if (!udap.certificateId) return false;
    const { healthSystem } = await this.registrations.findWithContext(registration.tenantId, registration.id);
    const certificate = await this.certificates.findById(registration.tenantId, udap.certificateId);
    const community = await this.communities.findById(certificate.communityId);
    const description = await this.discover(healthSystem.id, healthSystem.fhirBaseUrl, community);
    const statement = await this.statement(registration, certificate, description.endpoints.registration, true);
    await registerUdap(this.http, {
      registrationEndpoint: description.endpoints.registration,
      softwareStatement: statement.jwt,
      requested: statement.claims,
    });
    return true;
  }

  /** IG §3.4 cancellation: a statement with an empty `grant_types`. `registered → deleting → deleted`. */
  async cancel(tenantId: TenantId, registrationId: string, actor: Actor): Promise<Registration> {
    return this.reRegister(tenantId, registrationId, actor, { kind: 'cancel' });
  }

  private async reRegister(
    tenantId: TenantId,
    registrationId: string,
    actor: Actor,
    action: { kind: 'modify'; certificateId?: string } | { kind: 'cancel' },
  ): Promise<Registration> {
    const context = await this.registrations.findWithContext(tenantId, registrationId);
    const { registration, healthSystem } = context;
    const udap = await this.sites.registration(tenantId, registrationId);
    if (!udap.certificateId || !registration.clientId) {
      throw new DomainError(ErrorCode.Conflict, 'this registration was not made the UDAP way');
    }
    const certificate = await this.certificates.findById(
      tenantId,
      action.kind === 'modify' && action.certificateId ? action.certificateId : udap.certificateId,
    );
    const community = await this.communities.findById(certificate.communityId);
    const working: RegistrationState = action.kind === 'modify' ? 'updating' : 'deleting';
    const description = await this.discover(healthSystem.id, healthSystem.fhirBaseUrl, community);
    const statement = await this.statement(
      registration,
      certificate,
      description.endpoints.registration,
      action.kind === 'cancel',
    );

    const started = await this.ledger.write({
      kind: 'start_attempt',
      tenantId,
      registrationId,
      action: action.kind === 'modify' ? 'update' : 'delete',
      from: 'registered',
      to: working,
      reason: `UDAP ${action.kind}`,
    });
    if (!started) {
      throw new DomainError(
        ErrorCode.Conflict,
        `the registration is ${registration.state}; it must be registered to ${action.kind} it`,
      );
    }

    let result: UdapRegistrationResult;
    try {
      result = await registerUdap(this.http, {
        registrationEndpoint: description.endpoints.registration,
        softwareStatement: statement.jwt,
        requested: statement.claims,
      });
    } catch (error) {
      const problem = toRegistrationError(error);
      const { retryAfterMs: _ignored, ...lastError } = problem;
      await this.prisma.$transaction(async (tx) => {
        await this.attempts.finish(tx, started.id, {
          outcome: mayHaveCreatedClient(error) ? 'unknown' : 'failed',
          error: lastError,
        });
        // The site kept the previous registration: the client still works.
        await this.registrations.transition(
          tenantId,
          registrationId,
          {
            from: working,
            to: action.kind === 'modify' ? 'registered' : 'failed',
            reason: `UDAP ${action.kind} refused: ${lastError.error}`,
            set: { lastError },
          },
          tx,
        );
        await this.audit.record(
          {
            actor,
            tenantId,
            appId: registration.appId,
            healthSystemId: healthSystem.id,
            registrationId,
            action: `udap.${action.kind}_failed`,
            outcome: 'failure',
            details: { error: lastError.error, httpStatus: lastError.httpStatus },
          },
          tx,
        );
      });
      return (await this.registrations.findWithContext(tenantId, registrationId)).registration;
    }

    if (action.kind === 'cancel') {
      await this.prisma.$transaction(async (tx) => {
        await this.registrations.transition(
          tenantId,
          registrationId,
          {
            from: 'deleting',
            to: 'deleted',
            reason: result.cancelled
              ? 'UDAP registration cancelled (IG §3.4)'
              : 'UDAP cancellation sent; the site did not echo an empty grant_types',
            set: { lastError: null },
          },
          tx,
        );
        await this.attempts.finish(tx, started.id, {
          outcome: 'succeeded',
          httpStatus: result.httpStatus,
          clientId: result.clientId,
        });
        await this.events.record(tx, {
          tenantId,
          registrationId,
          actor,
          type: 'registration.deleted',
          outcome: 'success',
          details: { clientId: registration.clientId, protocol: 'udap', confirmed: result.cancelled },
          webhookData: { reason: 'UDAP registration cancelled' },
        });
      });
      return (await this.registrations.findWithContext(tenantId, registrationId)).registration;
    }

    // IG §3.4: a different client_id replaces the old one, which the server cancelled; use only the new one.
    const clientIdChanged = result.clientId !== registration.clientId;
    const credential = clientIdChanged
      ? await this.storeCredential(registration, result.clientId, started.id)
      : undefined;
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        tenantId,
        registrationId,
        {
          from: 'updating',
          to: 'registered',
          reason: clientIdChanged ? 'UDAP modification; the site issued a new client_id' : 'UDAP modification',
          set: {
            clientId: result.clientId,
            grantedMetadata: result.granted as object,
            metadataDifferences: result.differences as object[],
            metadataVersion: context.app.metadataVersion,
            udapCertificateId: certificate.id,
            udapIss: certificate.sanUri,
            lastError: null,
            ...(credential && { credentialSecret: credential.name, credentialVersion: credential.versionId }),
          },
        },
        tx,
      );
      await this.attempts.finish(tx, started.id, {
        outcome: 'succeeded',
        httpStatus: result.httpStatus,
        clientId: result.clientId,
      });
      await this.events.record(tx, {
        tenantId,
        registrationId,
        actor,
        type: 'registration.updated',
        outcome: 'success',
        details: {
          clientId: result.clientId,
          previousClientId: clientIdChanged ? registration.clientId : undefined,
          certificateId: certificate.id,
          protocol: 'udap',
        },
        webhookData: { changes: clientIdChanged ? ['client_id'] : [] },
      });
    });
    return (await this.registrations.findWithContext(tenantId, registrationId)).registration;
  }

  /** Discovery with the site's community (IG §2.4), validated against the community's anchors; recorded on the health system. */
  async discover(
    healthSystemId: string,
    fhirBaseUrl: string,
    community: TrustCommunity,
  ): Promise<UdapServerDescription> {
    const description = await discoverUdap(this.http, {
      fhirBaseUrl,
      community: community.uri,
      trustAnchors: community.trustAnchors.map(parseCertificate),
    });
    await this.sites.recordDiscovery(healthSystemId, description).catch((error: unknown) => {
      this.logger.warn({ healthSystemId, error: String(error) }, 'could not record UDAP discovery');
    });
    return description;
  }

  private async statement(
    registration: Registration,
    certificate: AppCertificate,
    registrationEndpoint: string,
    cancel = false,
  ): Promise<{ jwt: string; claims: Record<string, unknown> }> {
    if (!certificate.sanUri) throw new UdapMetadataError(['the certificate has no client URI']);
    const metadata = registration.requestedMetadata as unknown as UdapClientMetadata;
    const claims = softwareStatementClaims(metadata, { iss: certificate.sanUri, registrationEndpoint, cancel });
    const jwt = await signSoftwareStatement(claims, await this.appCertificates.signer(certificate));
    return { jwt, claims };
  }

  private metadataProblem(error: unknown): RegistrationProblem {
    if (error instanceof UdapMetadataError) return permanentProblem('invalid_client_metadata', error.message);
    return toRegistrationError(error);
  }

  private async storeCredential(registration: Registration, clientId: string, attemptId: string) {
    return this.secrets.put(
      secretNames.registrationClient(registration.tenantId, registration.appId, registration.healthSystemId),
      sealCredential({ clientId }),
      {
        requestToken: attemptId,
        tags: { 'broker:tenant': registration.tenantId, 'broker:registration': registration.id },
      },
    );
  }

  /** A failed step: the one failure path of a first registration (see FirstRegistrationFailure). */
  private fail(
    registration: Registration,
    from: RegistrationState,
    problem: RegistrationProblem,
    attempt: JobAttempt,
  ): Promise<RegisterOutcome> {
    return this.failure.record(registration, from, problem, attempt, { protocol: 'udap' });
  }
}
