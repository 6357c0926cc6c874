import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  SECRET_STORE,
  type SecretValue,
  type HealthSystem,
  type Registration,
  type RegistrationState,
  type SecretStore,
  type SystemActor,
} from '#domain';
import {
  AuditRepository,
  Prisma,
  PrismaService,
  RegistrationAttemptRepository,
  RegistrationRepository,
  type RegistrationAttempt,
  type RegistrationContext,
} from '#persistence';
import { backoffDelayMs, RetryLaterError, type RegistrationJobData } from '#queue';
import { secretNames } from '#secrets';
import {
  register,
  type CachedSmartDiscovery,
  type RegistrationResult,
  type SafeHttpClient,
  type SmartServerDescription,
} from '#smart-client';
import { SAFE_HTTP, SMART_DISCOVERY } from '../outbound/outbound.providers.js';
import { credentialFromRegistration, sealCredential } from '../credentials/registration-credential.js';
import { RequestedMetadataBuilder } from './requested-metadata.js';
import { RegistrationEvents } from './registration-events.js';
import { UdapRegistrationUseCase } from '../udap/udap-registration.use-case.js'; // UDAP seam (issue 15)
import { SoftwareStatementsService } from '../udap/software-statements.service.js'; // RFC 7591 §2.3 (issue 15)
import {
  mayHaveCreatedClient,
  permanentProblem,
  toRegistrationError,
  type RegistrationProblem,
} from './registration-errors.js';

export interface JobAttempt {
  /** 1 for the first run of the job. */
  number: number;
  /** No retry follows this run: a transient error now ends in `failed`. */
  final: boolean;
}

export type RegisterOutcome = 'registered' | 'failed' | 'orphan_suspected' | 'nothing_to_do';

const WORKER: SystemActor = { type: 'system', component: 'worker' };

/**
 * RFC 7591 registration of one app at one health system: discover, POST, store.
 *
 * Crash safety, in order: (1) the attempt row is written with the move to `registering`
 * before the POST; (2) the credential goes to the secret store first, idempotently (the
 * attempt id is the request token); (3) then one transaction moves the row to `registered`,
 * closes the attempt and records the audit and webhook events. A run that finds `registering` with a
 * pending attempt knows a previous run died after sending: the client may exist at the site,
 * so the registration becomes `orphan_suspected` instead of registering twice.
 */
@Injectable()
export class RegisterClientUseCase {
  private readonly logger = new Logger(RegisterClientUseCase.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly attempts: RegistrationAttemptRepository,
    private readonly events: RegistrationEvents,
    private readonly audit: AuditRepository,
    private readonly requestedMetadata: RequestedMetadataBuilder,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    @Inject(SMART_DISCOVERY) private readonly discovery: CachedSmartDiscovery,
    private readonly udap: UdapRegistrationUseCase,
    private readonly softwareStatements: SoftwareStatementsService,
  ) {}

  async execute(job: RegistrationJobData, attempt: JobAttempt): Promise<RegisterOutcome> {
    const context = await this.registrations.findWithContext(job.tenantId, job.registrationId);
    const { registration } = context;
    switch (registration.state) {
      case 'queued':
      case 'retrying':
        await this.move(registration, registration.state, 'discovering', `attempt ${attempt.number}`);
        return this.discoverAndRegister(context, attempt);
      case 'discovering':
        // A previous run stopped before sending anything: carry on.
        return this.discoverAndRegister(context, attempt);
      case 'registering':
        return this.recoverInterruptedRegistration(registration);
      default:
        // Registered, failed, deleted...: a duplicate or stale job. Registering again would duplicate the client.
        return 'nothing_to_do';
    }
  }

  private async discoverAndRegister(context: RegistrationContext, attempt: JobAttempt): Promise<RegisterOutcome> {
    // UDAP seam (issue 15): a site of a trust community the app holds a certificate of registers the UDAP way.
    const udapPlan = await this.udap.plan(context);
    if (udapPlan) return this.udap.register(context, attempt, udapPlan);
    const { registration, app, healthSystem } = context;
    let description: SmartServerDescription;
    try {
      // The health system row is the discovery cache: the copy loaded with it spares a lookup.
      description = await this.discovery.discover(healthSystem.fhirBaseUrl, healthSystem.discovery);
    } catch (error) {
      return this.fail(registration, 'discovering', toRegistrationError(error), attempt);
    }
    const registrationEndpoint = description.endpoints.registration?.value;
    if (!registrationEndpoint) {
      const problem = permanentProblem(
        'registration_not_supported',
        'the site advertises no RFC 7591 registration endpoint',
      );
      return this.fail(registration, 'discovering', problem, attempt);
    }
    const metadata = await this.requestedMetadata.build(registration, app);
    let initialAccessToken: SecretValue | undefined;
    try {
      initialAccessToken = await this.readInitialAccessToken(healthSystem);
    } catch (error) {
      // A store that is down is tried again; a token that cannot be decrypted (another
      // LOCAL_SECRETS_KEY, an altered row) will not get better: the registration fails and says
      // why instead of staying in `discovering` while the job spends its attempts.
      return this.fail(registration, 'discovering', toRegistrationError(error), attempt);
    }

    const started = await this.prisma.$transaction(async (tx) => {
      const moved = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        { from: 'discovering', to: 'registering', set: { attemptCount: { increment: 1 } } },
        tx,
      );
      return moved
        ? this.attempts.start(tx, {
            tenantId: registration.tenantId,
            registrationId: registration.id,
            action: 'register',
          })
        : null;
    });
    if (!started) return 'nothing_to_do'; // another run took it

    let result: RegistrationResult;
    try {
      // Issue 15: a software statement (RFC 7591 §2.3) where the site's policy requires one.
      const softwareStatement = await this.softwareStatements.forSite(registration, app, healthSystem, metadata);
      result = await register(this.http, { registrationEndpoint, metadata, initialAccessToken, softwareStatement });
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

    // The client exists at the site from here on. If storing it fails, the attempt stays
    // pending and the error goes to the queue: the next run finds `registering` with this
    // attempt open and reports the client as possibly orphaned, instead of registering twice.
    await this.attempts.noteClient(started.id, result.clientId).catch(() => undefined);
    const credential = await this.secrets.put(
      secretNames.registrationClient(registration.tenantId, registration.appId, registration.healthSystemId),
      sealCredential(credentialFromRegistration(result)),
      {
        requestToken: started.id,
        tags: { 'broker:tenant': registration.tenantId, 'broker:registration': registration.id },
      },
    );
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'registering',
          to: 'registered',
          reason: result.differences.length ? 'registered; the server changed some metadata' : 'registered',
          set: {
            clientId: result.clientId,
            clientIdIssuedAt: result.clientIdIssuedAt ? new Date(result.clientIdIssuedAt * 1000) : null,
            clientSecretExpiresAt: result.clientSecretExpiresAt ? new Date(result.clientSecretExpiresAt * 1000) : null,
            grantedMetadata: result.granted as object,
            metadataDifferences: result.differences as object[],
            credentialSecret: credential.name,
            credentialVersion: credential.versionId,
            managementSupported: result.management !== undefined,
            lastError: Prisma.DbNull,
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
          differences: result.differences.map((d) => d.field),
        },
      });
    });
    await this.settled(registration);
    return 'registered';
  }

  private async recoverInterruptedRegistration(registration: Registration): Promise<RegisterOutcome> {
    const pending = await this.attempts.findPending(registration.id, 'register');
    if (!pending) {
      // Moved to `registering` but no attempt was sent (they are one transaction, so this is
      // a bug or a manual edit): try again from discovery.
      await this.move(registration, 'registering', 'retrying', 'no attempt in flight');
      throw new RetryLaterError(0, 'registration restarted');
    }
    await this.markOrphanSuspected(registration, pending);
    return 'orphan_suspected';
  }

  private async markOrphanSuspected(registration: Registration, pending: RegistrationAttempt): Promise<void> {
    const error = {
      error: 'orphan_suspected',
      error_description:
        'the registration request was sent but its answer was never stored (worker stopped or storage failed); ' +
        (pending.clientId ? `client ${pending.clientId} exists at the site` : 'a client may exist at the site') +
        ` (attempt ${pending.id}, started ${pending.startedAt.toISOString()}, client_name "${registration.requestedMetadata.client_name}")`,
      retryable: false,
      at: new Date().toISOString(),
    };
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'registering',
          to: 'orphan_suspected',
          reason: `attempt ${pending.id} interrupted`,
          set: { lastError: error },
        },
        tx,
      );
      await this.attempts.finish(tx, pending.id, { outcome: 'orphan_suspected', error });
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.orphan_suspected',
        outcome: 'failure',
        details: { attemptId: pending.id, nonce: pending.nonce, startedAt: pending.startedAt.toISOString() },
        webhookData: { attempt: { id: pending.id, startedAt: pending.startedAt.toISOString() } },
      });
    });
    await this.settled(registration);
    this.logger.warn(
      { registrationId: registration.id, attemptId: pending.id },
      'registration possibly orphaned at the site',
    );
  }

  /**
   * A failed step: `retrying` with the next attempt time when the error is transient and
   * attempts remain (and throws so the queue runs the job again then), else `failed`.
   */
  private async fail(
    registration: Registration,
    from: RegistrationState,
    problem: RegistrationProblem,
    attempt: JobAttempt,
  ): Promise<RegisterOutcome> {
    const { retryAfterMs, ...lastError } = problem;
    const retry = lastError.retryable && !attempt.final;
    const delayMs = retry ? backoffDelayMs(attempt.number, retryAfterMs) : 0;
    await this.prisma.$transaction(async (tx) => {
      await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from,
          to: retry ? 'retrying' : 'failed',
          reason: lastError.error,
          set: { lastError, nextAttemptAt: retry ? new Date(Date.now() + delayMs) : null },
        },
        tx,
      );
      const details = { error: lastError.error, httpStatus: lastError.httpStatus, retryable: lastError.retryable };
      if (retry) {
        // A transient failure is audited but not announced: the site's administrators hear of the outcome.
        await this.audit.record(
          {
            actor: WORKER,
            tenantId: registration.tenantId,
            appId: registration.appId,
            healthSystemId: registration.healthSystemId,
            registrationId: registration.id,
            action: 'registration.attempt_failed',
            outcome: 'failure',
            details,
          },
          tx,
        );
        return;
      }
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.failed',
        outcome: 'failure',
        details,
        webhookData: {
          error: {
            code: lastError.error,
            description: lastError.error_description ?? null,
            httpStatus: lastError.httpStatus ?? null,
            retryable: lastError.retryable,
          },
        },
      });
    });
    if (!retry) await this.settled(registration);
    if (retry) throw new RetryLaterError(delayMs, lastError.error);
    return 'failed';
  }

  /** After a registration reaches a settled state: the onboarding may be complete now. */
  private async settled(registration: Registration): Promise<void> {
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
  }

  private async move(registration: Registration, from: RegistrationState, to: RegistrationState, reason: string) {
    await this.registrations.transition(registration.tenantId, registration.id, { from, to, reason });
  }

  private async readInitialAccessToken(healthSystem: HealthSystem) {
    if (!healthSystem.initialAccessToken) return undefined;
    const stored = await this.secrets.get(healthSystem.initialAccessToken.name);
    return stored?.value;
  }
}
