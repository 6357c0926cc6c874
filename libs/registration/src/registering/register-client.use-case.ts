import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  DomainError,
  SECRET_STORE,
  REGISTRATION_LEDGER,
  type RegistrationLedger,
  type SecretValue,
  type Registration,
  type RegistrationState,
  type SecretRef,
  type SecretStore,
  type StartedAttempt,
  type RegistrationColumns,
} from '#domain';
import {
  AuditRepository,
  PrismaService,
  RegistrationAttemptRepository,
  RegistrationRepository,
  type RegistrationContext,
} from '#persistence';
import {
  RetryLaterError,
  WaitForSecretStoreError,
  type JobAttempt,
  type RegisterOutcome,
  type RegistrationJobData,
} from '#queue';
import { SECRET_STORE_HEALTH, SecretStoreUnavailableError, secretNames, type SecretStoreHealth } from '#secrets';
import {
  deleteClient,
  SmartClientError,
  type RegistrationResult,
  type SafeHttpClient,
  type SmartServerDescription,
} from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { credentialFromRegistration, sealCredential } from '../credentials/registration-credential.js';
import { SiteRegistration } from '../engine/site-registration.js';
import { RequestedMetadataBuilder } from '../engine/requested-metadata.js';
import { afterChange, RegistrationEvents } from '../engine/registration-events.js';
import { UdapRegistrationUseCase } from '../udap/udap-registration.use-case.js';
import { SoftwareStatementsService } from '../udap/software-statements.service.js';
import { PossibleOrphans } from './possible-orphans.js';
import { ManualRegistration } from '../manual/manual-registration.js';
import {
  mayHaveCreatedClient,
  permanentProblem,
  toRegistrationError,
  type RegistrationProblem,
} from '../engine/registration-errors.js';
import {
  FirstRegistrationFailure,
  startFirstRegistration,
  WORKER,
  workerEvent,
} from '../engine/first-registration-failure.js';

/**
 * RFC 7591 registration of one app at one health system: discover, POST, store.
 *
 * Crash safety, in order: (0) nothing is sent while the secret store is failing (its circuit
 * is open): the job waits without spending attempts and the registration says
 * `waiting_for_secret_store`; (1) the attempt row is written with the move to `registering`
 * before the POST; (2) the credential goes to the secret store first, idempotently (the
 * attempt id is the request token), retried in the job for `SECRETS_STORE_WAIT_SECONDS`; if the
 * store stays down the client is deleted again (RFC 7592) or recorded as a possible orphan;
 * (3) then one transaction moves the row to `registered`, closes the attempt and records the
 * audit and webhook events.
 *
 * Where a client may exist that nothing names (a run that finds `registering` with a pending
 * attempt: a worker died after sending; a POST whose outcome is unknown), the attempt becomes a
 * possible-orphan record announced to the site, and the registration registers again: a
 * suspected orphan never blocks the tenant.
 */
/** The states a first registration may be in before its attempt starts. */
type BeforeAttempt = Extract<RegistrationState, 'queued' | 'retrying' | 'discovering'>;

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
    private readonly possibleOrphans: PossibleOrphans,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
    @Inject(SECRET_STORE_HEALTH) private readonly storeHealth: SecretStoreHealth,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    private readonly site: SiteRegistration,
    private readonly udap: UdapRegistrationUseCase,
    private readonly softwareStatements: SoftwareStatementsService,
    private readonly manual: ManualRegistration,
    private readonly failure: FirstRegistrationFailure,
  ) {}

  async execute(job: RegistrationJobData, attempt: JobAttempt): Promise<RegisterOutcome> {
    const context = await this.registrations.findWithContext(job.tenantId, job.registrationId);
    const { registration } = context;
    switch (registration.state) {
      case 'queued':
      case 'retrying':
      case 'discovering': // a previous run stopped before sending anything: carry on
        await this.waitForSecretStore(registration, registration.state);
        return this.discoverAndRegister(context, registration.state, attempt);
      case 'registering':
        if (await this.recoverInterruptedRegistration(registration)) return this.execute(job, attempt);
        return 'nothing_to_do';
      default:
        // Registered, failed, deleted...: a duplicate or stale job. Registering again would duplicate the client.
        return 'nothing_to_do';
    }
  }

  /** `state`: the registration's state as read, one of those before an attempt. */
  private async discoverAndRegister(
    context: RegistrationContext,
    state: BeforeAttempt,
    attempt: JobAttempt,
  ): Promise<RegisterOutcome> {
    const { registration, app, healthSystem } = context;
    // UDAP: a site of a trust community the app holds a certificate of registers the UDAP way.
    const udapPlan = await this.udap.plan(context);
    // The health system row is the discovery cache: a plain RFC 7591 site whose description it
    // holds fresh needs nothing read, and the registration goes straight to `registering` (one
    // state change, history row and index update fewer). Otherwise it says `discovering` while
    // the job reads the site.
    const held = udapPlan ? undefined : this.site.heldEndpoint(healthSystem);
    const direct = held?.registrationEndpoint && !this.manual.appliesTo(healthSystem, held.description);
    let from = state;
    if (!direct && from !== 'discovering') {
      await this.move(registration, from, 'discovering', `attempt ${attempt.number}`);
      from = 'discovering';
    }
    if (udapPlan) return this.udap.register(context, attempt, udapPlan);
    let registrationEndpoint: string | null;
    let description: SmartServerDescription;
    try {
      ({ description, registrationEndpoint } = held ?? (await this.site.endpoint(healthSystem)));
    } catch (error) {
      return this.fail(registration, from, toRegistrationError(error), attempt);
    }
    // A site without dynamic registration (or marked manual by the operator): its administrators
    // are asked to register the client by hand (libs/registration/src/manual).
    if (this.manual.appliesTo(healthSystem, description)) return this.manual.requestRegistration(context);
    if (!registrationEndpoint) {
      const problem = permanentProblem(
        'registration_not_supported',
        'the site advertises no RFC 7591 registration endpoint',
      );
      return this.fail(registration, from, problem, attempt);
    }
    const metadata = await this.requestedMetadata.build(registration, app);
    let initialAccessToken: SecretValue | undefined;
    try {
      initialAccessToken = await this.site.initialAccessToken(healthSystem);
    } catch (error) {
      // A store that is down is tried again; a token that cannot be decrypted (another
      // LOCAL_SECRETS_KEY, an altered row) will not get better: the registration fails and says
      // why instead of staying in `discovering` while the job spends its attempts.
      return this.fail(registration, from, toRegistrationError(error), attempt);
    }
    // Discovery may have taken a while: the last look at the store before anything is sent.
    await this.waitForSecretStore(registration, from);

    const started = await startFirstRegistration(this.ledger, registration, from);
    if (!started) return 'nothing_to_do'; // another run took it

    let result: RegistrationResult;
    try {
      // A software statement (RFC 7591 §2.3) where the site's policy requires one.
      const softwareStatement = await this.softwareStatements.forSite(context, metadata);
      result = await this.site.register({ registrationEndpoint, metadata, initialAccessToken, softwareStatement });
    } catch (error) {
      const problem = toRegistrationError(error);
      const unknownOutcome = mayHaveCreatedClient(error);
      await this.prisma.$transaction(async (tx) => {
        await this.attempts.finish(tx, started.id, { outcome: unknownOutcome ? 'unknown' : 'failed', error: problem });
        // The site may have created a client before failing to answer: a later attempt registers
        // again, so this one stays on record (and the site hears of it) instead of silently.
        if (unknownOutcome) {
          await this.possibleOrphans.record(tx, {
            registration,
            attempt: started,
            reason: 'outcome_unknown',
            clientId: error instanceof SmartClientError ? error.clientId : undefined,
          });
        }
      });
      return this.fail(registration, 'registering', problem, attempt);
    }

    // The client exists at the site from here on: name it on the attempt first, so a run that
    // dies from here on leaves a record naming it.
    await this.ledger
      .write({ kind: 'note_client', attemptId: started.id, clientId: result.clientId })
      .catch(() => false);
    const stored = await this.storeCredential(registration, started.id, result);
    if (!('versionId' in stored)) return this.compensate(registration, started, result, stored.error, attempt);
    const credential = stored;
    const columns: RegistrationColumns = {
      clientId: result.clientId,
      clientIdIssuedAt: result.clientIdIssuedAt ? new Date(result.clientIdIssuedAt * 1000) : null,
      clientSecretExpiresAt: result.clientSecretExpiresAt ? new Date(result.clientSecretExpiresAt * 1000) : null,
      grantedMetadata: result.granted as object,
      metadataDifferences: result.differences as object[],
      credentialSecret: credential.name,
      credentialVersion: credential.versionId,
      managementSupported: result.management !== undefined,
      lastError: null,
      nextAttemptAt: null,
    };
    // The move, the attempt's outcome, the audit and the webhook event: one commit.
    await this.ledger.write({
      kind: 'record_outcome',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      from: 'registering',
      to: 'registered',
      reason: result.differences.length ? 'registered; the server changed some metadata' : 'registered',
      columns,
      attempt: { id: started.id, outcome: 'succeeded', httpStatus: result.httpStatus, clientId: result.clientId },
      ...this.events.rows(afterChange(context, 'registered', columns), {
        actor: WORKER,
        type: 'registration.created',
        outcome: 'success',
        details: {
          clientId: result.clientId,
          attemptId: started.id,
          differences: result.differences.map((d) => d.field),
        },
      }),
    });
    await this.settled(registration);
    return 'registered';
  }

  /**
   * A run found `registering`: an earlier run moved it there and sent (or was about to send) the
   * POST, then stopped. Its attempt becomes a possible-orphan record (naming the client when the
   * answer had arrived) and the registration goes back to `retrying`; returns true when the caller
   * should register again now (once: the new attempt is a fresh one).
   */
  private async recoverInterruptedRegistration(registration: Registration): Promise<boolean> {
    const pending = await this.attempts.findPending(registration.id, 'register');
    if (!pending) {
      // Moved to `registering` with no attempt open (they are one transaction, so a bug or a
      // manual edit), or a compensation that died before its move: try again from discovery.
      await this.move(registration, 'registering', 'retrying', 'no attempt in flight');
      throw new RetryLaterError(0, 'registration restarted');
    }
    const error = {
      error: 'previous_attempt_interrupted',
      error_description:
        `attempt ${pending.id} (started ${pending.startedAt.toISOString()}) was interrupted after sending; ` +
        (pending.clientId ? `client ${pending.clientId} exists at the site` : 'a client may exist at the site') +
        '; it is recorded as a possible orphan and the registration is tried again',
      retryable: true,
      at: new Date().toISOString(),
    };
    return this.prisma.$transaction(async (tx) => {
      const moved = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'registering',
          to: 'retrying',
          reason: `attempt ${pending.id} interrupted; registering again`,
          set: { lastError: error, nextAttemptAt: null },
        },
        tx,
      );
      if (!moved) return false; // another run took it
      await this.attempts.finish(tx, pending.id, { outcome: 'orphan_suspected', error });
      await this.possibleOrphans.record(tx, {
        registration,
        attempt: pending,
        reason: 'interrupted',
        clientId: pending.clientId,
      });
      return true;
    });
  }

  /**
   * Defers the job while the secret store is failing: nothing is sent to a site whose answer
   * could not be stored. The registration shows `retrying` with `waiting_for_secret_store` and
   * the job waits without spending an attempt.
   */
  private async waitForSecretStore(registration: Registration, from: BeforeAttempt): Promise<void> {
    const store = await this.storeHealth.status();
    if (store.available) return;
    const delayMs = Math.max(store.retryInMs, 1_000) + Math.round(Math.random() * 1_000);
    const lastError = {
      error: 'waiting_for_secret_store',
      error_description:
        `the secret store has been failing since ${store.since.toISOString()} (${store.reason}); ` +
        'nothing is sent to the site until it works again',
      retryable: true,
      at: new Date().toISOString(),
    };
    const set = { lastError, nextAttemptAt: new Date(Date.now() + delayMs) };
    await this.prisma.$transaction(async (tx) => {
      const { tenantId, id } = registration;
      if (from === 'retrying') {
        await tx.registration.updateMany({ where: { id, tenantId, state: 'retrying' }, data: set });
        return;
      }
      if (from === 'queued') {
        await this.registrations.transition(tenantId, id, { from, to: 'discovering', reason: 'attempt' }, tx);
      }
      await this.registrations.transition(
        tenantId,
        id,
        { from: 'discovering', to: 'retrying', reason: 'waiting_for_secret_store', set },
        tx,
      );
    });
    throw new WaitForSecretStoreError(delayMs, `waiting_for_secret_store (${store.reason})`);
  }

  /**
   * Writes the credential the site just issued, retrying within the job for up to
   * `SECRETS_STORE_WAIT_SECONDS` (BullMQ keeps renewing the job's lock while it runs): the
   * credential exists only in this process's memory. Same request token every time, so a write
   * that succeeded without its answer arriving is not written twice.
   */
  private async storeCredential(
    registration: Registration,
    attemptId: string,
    result: RegistrationResult,
  ): Promise<SecretRef | { error: unknown }> {
    const deadline = Date.now() + this.config.secrets.storeWaitSeconds * 1000;
    const name = secretNames.registrationClient(registration.tenantId, registration.appId, registration.healthSystemId);
    const value = sealCredential(credentialFromRegistration(result));
    for (let n = 1; ; n++) {
      try {
        return await this.secrets.put(name, value, {
          requestToken: attemptId,
          tags: { 'broker:tenant': registration.tenantId, 'broker:registration': registration.id },
        });
      } catch (error) {
        // A caller error (a reused token) will not get better; anything else is the store's trouble.
        if (error instanceof DomainError && !(error instanceof SecretStoreUnavailableError)) throw error;
        const left = deadline - Date.now();
        if (left <= 0) return { error };
        this.logger.warn(
          { registrationId: registration.id, attemptId, try: n, err: error },
          'credential not stored yet; trying again',
        );
        const store = await this.storeHealth.status();
        const wait = store.available ? Math.min(1_000 * 2 ** (n - 1), 15_000) : Math.max(store.retryInMs, 500);
        await sleep(Math.min(wait, left));
      }
    }
  }

  /**
   * The site created a client whose credential the store would not take for the whole wait. With
   * RFC 7592 the client is deleted again with the registration access token still in memory
   * (recorded on the attempt as `compensated`); without it, or when the DELETE fails, the attempt
   * names the client and becomes a possible-orphan record. Either way the registration goes back
   * to `retrying` (or `failed` on its last attempt): no client is left that nothing names.
   */
  private async compensate(
    registration: Registration,
    started: StartedAttempt,
    result: RegistrationResult,
    storeError: unknown,
    attempt: JobAttempt,
  ): Promise<RegisterOutcome> {
    const cause = storeError instanceof SecretStoreUnavailableError ? storeError.message : 'unexpected error';
    let deleted = false;
    let deleteProblem: string | undefined;
    if (result.management) {
      try {
        await deleteClient(this.http, { access: result.management });
        deleted = true;
      } catch (error) {
        deleteProblem = toRegistrationError(error).error;
      }
    }
    const waited = this.config.secrets.storeWaitSeconds;
    const problem: RegistrationProblem = {
      error: 'secret_store_unavailable',
      error_description:
        `the site created client ${result.clientId} but its credential could not be stored within ${waited} s (${cause}); ` +
        (deleted
          ? 'the client was deleted at the site (RFC 7592) and the registration is tried again'
          : `the client could not be deleted (${deleteProblem ?? 'the site has no RFC 7592 management'}) and is recorded as a possible orphan`),
      retryable: true,
      at: new Date().toISOString(),
    };
    await this.prisma.$transaction(async (tx) => {
      await this.attempts.finish(tx, started.id, {
        outcome: deleted ? 'compensated' : 'orphan_suspected',
        httpStatus: result.httpStatus,
        clientId: result.clientId,
        error: problem,
      });
      if (deleted) {
        await this.audit.record(
          workerEvent(registration, 'registration.compensated', 'success', {
            attemptId: started.id,
            clientId: result.clientId,
            reason: 'credential_not_stored',
          }),
          tx,
        );
      } else {
        await this.possibleOrphans.record(tx, {
          registration,
          attempt: started,
          reason: 'credential_not_stored',
          clientId: result.clientId,
        });
      }
    });
    return this.fail(registration, 'registering', problem, attempt);
  }

  /** A failed step: the one failure path of a first registration (see FirstRegistrationFailure). */
  private fail(
    registration: Registration,
    from: RegistrationState,
    problem: RegistrationProblem,
    attempt: JobAttempt,
  ): Promise<RegisterOutcome> {
    return this.failure.record(registration, from, problem, attempt);
  }

  /** After a registration reaches a settled state: the onboarding may be complete now. */
  private async settled(registration: Registration): Promise<void> {
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
  }

  /** A move with nothing else to record (group-committed with other jobs' steps). */
  private async move(registration: Registration, from: RegistrationState, to: RegistrationState, reason: string) {
    const { tenantId, id: registrationId } = registration;
    await this.ledger.write({
      kind: 'record_outcome',
      tenantId,
      registrationId,
      from,
      to,
      reason,
      audit: [],
      outbox: [],
    });
  }
}
