import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  DomainError,
  ErrorCode,
  SECRET_STORE,
  SecretValue,
  ValidationError,
  parseOrThrow,
  type SecretRef,
  type HealthSystemActor,
  type SecretStore,
} from '#domain';
import {
  AuditRepository,
  PrismaService,
  type Transaction,
  RegistrationRepository,
  RegistrationRequestRepository,
  type RegistrationContext,
  type SiteRequest,
  type SiteRequestProof,
} from '#persistence';
import { secretNames } from '#secrets';
import { openCredential, sealCredential, type RegistrationCredential } from '../credentials/registration-credential.js';
import { UsabilityCheck } from '../engine/usability-check.js';
import { RegistrationEvents } from '../engine/registration-events.js';
import { needsClientSecret } from './request-document.js';

type Tx = Transaction;

const clientId = z.string().trim().min(1).max(512);
/** Write-only: proven, then stored in the secret store; never shown back, logged or kept in a column. */
const clientSecret = z.string().min(1).max(4096);

export const completeRequestSchema = z.strictObject({
  clientId: clientId.optional(),
  clientSecret: clientSecret.optional(),
  /** When the secret expires at the site (ISO 8601); absent or null: it does not. */
  clientSecretExpiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
});
export const declineRequestSchema = z.strictObject({
  /** Shown to the app vendor (the tenant) as is. */
  reason: z.string().trim().min(1).max(2000),
});

interface Proof {
  proof: SiteRequestProof;
  detail: string;
}

/**
 * The site administrators' answers to requests, through their health-system key: enter the
 * client the EHR issued (proven by a real token request where the grant allows one, then stored
 * in the secret store), mark a request done, or decline it with a reason the tenant sees. A
 * request of another health system is "not found", whoever asks.
 */
@Injectable()
export class SiteAnswers {
  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly requests: RegistrationRequestRepository,
    private readonly usability: UsabilityCheck,
    private readonly events: RegistrationEvents,
    private readonly audit: AuditRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async complete(site: HealthSystemActor, requestId: string, input: unknown): Promise<SiteRequest> {
    const request = await this.openRequest(site, requestId);
    const body = parseOrThrow(completeRequestSchema, input, 'answer');
    const context = await this.registrations.findWithContext(request.tenantId, request.registrationId);
    const metadata = request.document.clientMetadata as Record<string, unknown>;
    const expiresAt = body.clientSecretExpiresAt ? new Date(body.clientSecretExpiresAt) : null;
    if (request.kind === 'removal' && (body.clientId || body.clientSecret)) {
      throw invalid('clientId', 'a removal is confirmed without credentials');
    }
    if (request.kind === 'register' && !body.clientId)
      throw invalid('clientId', 'required: the client_id your EHR issued');
    if (request.kind === 'rotation' && !body.clientSecret)
      throw invalid('clientSecret', 'required: the new client secret');
    const entersClient = request.kind === 'register' || body.clientId !== undefined || body.clientSecret !== undefined;
    if (entersClient) {
      const secretNeeded = needsClientSecret(metadata);
      const newClient = (body.clientId ?? context.registration.clientId) !== context.registration.clientId;
      if (secretNeeded && !body.clientSecret && (request.kind === 'register' || newClient)) {
        throw invalid(
          'clientSecret',
          `required: the app authenticates with ${String(metadata.token_endpoint_auth_method)}`,
        );
      }
      if (!secretNeeded && body.clientSecret) {
        throw invalid('clientSecret', 'this app does not use a client secret (it signs with its keys): leave it out');
      }
    }

    let stored: SecretRef | null = null;
    let proof: Proof | null = null;
    let credential: RegistrationCredential | null = null;
    if (entersClient) {
      credential = {
        clientId: body.clientId ?? context.registration.clientId!,
        clientSecret: body.clientSecret ? new SecretValue(body.clientSecret) : undefined,
        clientSecretExpiresAt: expiresAt ? Math.floor(expiresAt.getTime() / 1000) : 0,
      };
      if (!credential.clientSecret && context.registration.credential && request.kind !== 'register') {
        // Same client, no new secret (an update applied in place): keep the secret held now.
        credential.clientSecret = await this.currentSecret(context);
      }
      proof = await this.prove(site, request, context, credential, metadata);
      stored = await this.secrets.put(
        secretNames.registrationClient(request.tenantId, request.appId, request.healthSystemId),
        sealCredential(credential),
        {
          requestToken: randomUUID(),
          tags: { 'broker:tenant': request.tenantId, 'broker:registration': request.registrationId },
        },
      );
    }

    await this.prisma.$transaction(async (tx) => {
      const answered = await this.requests.answer(tx, request.id, {
        status: 'completed',
        answeredByKeyId: site.keyId,
        clientId: credential?.clientId ?? null,
        proof: proof?.proof ?? null,
        proofDetail: proof?.detail ?? null,
      });
      if (!answered) throw new DomainError(ErrorCode.Conflict, `request ${request.id} was answered meanwhile`);
      await this.applyToRegistration(tx, site, request, context, { credential, stored, proof, expiresAt, metadata });
      await this.announceAnswer(tx, site, request, 'completed', { clientId: credential?.clientId ?? null, proof });
    });
    return this.requests.find({ healthSystemId: site.healthSystemId }, request.id);
  }

  async decline(site: HealthSystemActor, requestId: string, input: unknown): Promise<SiteRequest> {
    const request = await this.openRequest(site, requestId);
    const { reason } = parseOrThrow(declineRequestSchema, input, 'decline');
    await this.prisma.$transaction(async (tx) => {
      const answered = await this.requests.answer(tx, request.id, {
        status: 'declined',
        answeredByKeyId: site.keyId,
        declineReason: reason,
      });
      if (!answered) throw new DomainError(ErrorCode.Conflict, `request ${request.id} was answered meanwhile`);
      if (request.kind === 'register') {
        await this.registrations.transition(
          request.tenantId,
          request.registrationId,
          {
            from: 'awaiting_site',
            to: 'failed',
            reason: 'declined by the site',
            set: {
              lastError: {
                error: 'declined_by_site',
                error_description: reason,
                retryable: false,
                at: new Date().toISOString(),
              },
            },
          },
          tx,
        );
      }
      await this.announceAnswer(tx, site, request, 'declined', { declineReason: reason });
    });
    const registration = await this.registrations.findById(request.tenantId, request.registrationId);
    if (request.kind === 'register') {
      await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, site);
    }
    return this.requests.find({ healthSystemId: site.healthSystemId }, request.id);
  }

  private async openRequest(site: HealthSystemActor, requestId: string): Promise<SiteRequest> {
    const request = await this.requests.find({ healthSystemId: site.healthSystemId }, requestId);
    if (request.status !== 'open') {
      throw new DomainError(
        ErrorCode.Conflict,
        `request ${request.id} is ${request.status}; it cannot be answered again`,
      );
    }
    return request;
  }

  /**
   * A real RFC 6749 §4.4 token request with what the administrator entered, where the grant allows
   * one; otherwise the answer is recorded as not testable (and says why). Refused credentials are
   * not stored: the administrator hears why at once (422) and can enter them again.
   */
  private async prove(
    site: HealthSystemActor,
    request: SiteRequest,
    context: RegistrationContext,
    credential: RegistrationCredential,
    metadata: Record<string, unknown>,
  ): Promise<Proof> {
    const result = await this.usability.check(context.registration, credential, metadata);
    if (result.status === 'usable')
      return { proof: 'token_request_succeeded', detail: 'a client_credentials token request succeeded' };
    if (result.status === 'not_tested') return { proof: 'not_testable', detail: result.why };
    await this.audit.record({
      actor: site,
      tenantId: request.tenantId,
      appId: request.appId,
      healthSystemId: request.healthSystemId,
      registrationId: request.registrationId,
      action: 'registration_request.client_refused',
      outcome: 'failure',
      details: { requestId: request.id, clientId: credential.clientId, error: result.problem.error },
    });
    throw new DomainError(
      ErrorCode.ClientNotProven,
      `the site's token endpoint refused client ${credential.clientId} (${result.problem.error}` +
        `${result.problem.error_description ? `: ${result.problem.error_description}` : ''}); nothing was stored`,
      { error: result.problem.error },
    );
  }

  private async currentSecret(context: RegistrationContext): Promise<SecretValue | undefined> {
    const stored = await this.secrets.get(context.registration.credential!.name);
    return stored ? openCredential(stored.value).clientSecret : undefined;
  }

  /** What an answer changes on the registration, with the event the tenant and the site see. */
  private async applyToRegistration(
    tx: Tx,
    site: HealthSystemActor,
    request: SiteRequest,
    context: RegistrationContext,
    answer: {
      credential: RegistrationCredential | null;
      stored: SecretRef | null;
      proof: Proof | null;
      expiresAt: Date | null;
      metadata: Record<string, unknown>;
    },
  ): Promise<void> {
    const { registration } = context;
    const now = new Date();
    const credentialColumns = answer.credential &&
      answer.stored && {
        clientId: answer.credential.clientId,
        credentialSecret: answer.stored.name,
        credentialVersion: answer.stored.versionId,
        clientSecretExpiresAt: answer.expiresAt,
        clientSecretIssuedAt: answer.credential.clientSecret ? now : null,
      };
    // The site may issue a new client instead of changing the old one: the tenant's app must switch.
    const replaced =
      !!answer.credential && answer.credential.clientId !== registration.clientId && request.kind !== 'register';
    const details = {
      requestId: request.id,
      clientId: answer.credential?.clientId,
      enteredBy: site.keyId,
      proof: answer.proof?.proof,
    };
    switch (request.kind) {
      case 'register': {
        const moved = await this.registrations.transition(
          registration.tenantId,
          registration.id,
          {
            from: 'awaiting_site',
            to: 'registered',
            reason:
              answer.proof?.proof === 'token_request_succeeded'
                ? "registered by the site's administrators; proven by a token request"
                : `registered by the site's administrators; unproven: ${answer.proof?.detail}`,
            set: {
              ...credentialColumns,
              clientIdIssuedAt: now,
              grantedMetadata: answer.metadata as object,
              managementSupported: false,
              lastError: null,
              nextAttemptAt: null,
            },
          },
          tx,
        );
        if (!moved)
          throw new DomainError(ErrorCode.Conflict, `registration ${registration.id} no longer awaits the site`);
        await this.events.record(tx, {
          tenantId: registration.tenantId,
          registrationId: registration.id,
          actor: site,
          type: 'registration.created',
          outcome: 'success',
          details,
        });
        return;
      }
      case 'rotation':
        await this.requests.applyToRegistration(tx, registration.tenantId, registration.id, { ...credentialColumns });
        await this.events.record(tx, {
          tenantId: registration.tenantId,
          registrationId: registration.id,
          actor: site,
          type: 'registration.secret_rotated',
          outcome: 'success',
          details,
          webhookData: {
            clientSecretExpiresAt: answer.expiresAt?.toISOString() ?? null,
            clientReplaced: replaced,
            previousClientId: replaced ? registration.clientId : null,
          },
        });
        return;
      case 'update':
        await this.requests.applyToRegistration(tx, registration.tenantId, registration.id, {
          ...credentialColumns,
          requestedMetadata: answer.metadata as object,
          grantedMetadata: answer.metadata as object,
          metadataVersion: request.metadataVersion,
        });
        await this.events.record(tx, {
          tenantId: registration.tenantId,
          registrationId: registration.id,
          actor: site,
          type: 'registration.updated',
          outcome: 'success',
          details,
          webhookData: {
            changes: (request.changes ?? []).map((change) => change.field),
            clientReplaced: replaced,
            previousClientId: replaced ? registration.clientId : null,
          },
        });
        return;
      case 'removal':
        await this.audit.record(
          {
            actor: site,
            tenantId: registration.tenantId,
            appId: registration.appId,
            healthSystemId: registration.healthSystemId,
            registrationId: registration.id,
            action: 'registration.removed_at_site',
            outcome: 'success',
            details: { requestId: request.id, clientId: registration.clientId },
          },
          tx,
        );
        return;
    }
  }

  /** `registration.request_answered` to the site's webhooks, and the audit event the tenant reads. */
  private async announceAnswer(
    tx: Tx,
    site: HealthSystemActor,
    request: SiteRequest,
    status: 'completed' | 'declined',
    outcome: { clientId?: string | null; proof?: Proof | null; declineReason?: string },
  ): Promise<void> {
    const answeredAt = new Date().toISOString();
    await this.events.announce(tx, {
      tenantId: request.tenantId,
      registrationId: request.registrationId,
      type: 'registration.request_answered',
      data: {
        request: {
          id: request.id,
          kind: request.kind,
          openedAt: request.openedAt.toISOString(),
          status,
          answeredAt,
          answeredBy: { type: 'health_system_key', keyId: site.keyId },
          clientId: outcome.clientId ?? null,
          declineReason: outcome.declineReason ?? null,
          proof: outcome.proof?.proof ?? null,
        },
      },
    });
    await this.audit.record(
      {
        actor: site,
        tenantId: request.tenantId,
        appId: request.appId,
        healthSystemId: request.healthSystemId,
        registrationId: request.registrationId,
        action: status === 'declined' ? 'registration_request.declined' : 'registration_request.completed',
        outcome: 'success',
        details: {
          requestId: request.id,
          kind: request.kind,
          clientId: outcome.clientId ?? null,
          proof: outcome.proof?.proof ?? null,
          declineReason: outcome.declineReason ?? null,
        },
      },
      tx,
    );
  }
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError('answer is invalid', [{ path, message }]);
}
