import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  REGISTRATION_LEDGER,
  RegistrationStates,
  type RegistrationLedger,
  type Registration,
  type RegistrationColumns,
} from '#domain';
import { VerificationTargets, type RegistrationAttempt, type VerificationTarget } from '#persistence';
import { RetryLaterError, type LifecycleJobData } from '#queue';
import { canonicalMetadata, readClient, type SafeHttpClient } from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { permanentProblem } from '../engine/registration-errors.js';
import type { JobAttempt } from '#queue';
import { CredentialSaveError, RegistrationCredentialVault } from './credential-vault.js';
import { changesNothing, mayVerifyClean, unchangedSince } from './clean-verify.js';
import { baselineAfterRead, CLIENT_GONE_DRIFT, detectDrift, tokenScopeDrift, type DriftEntry } from './drift.js';
import { LifecycleRecorder, type Completion } from './lifecycle-recorder.js';
import {
  LifecycleProblem,
  asLastError,
  credentialMissing,
  managementAccessLost,
  problemOf,
} from './lifecycle-problems.js';
import { UsabilityCheck, type Usability } from '../engine/usability-check.js';

export interface VerifyResult {
  state: 'registered' | 'failed';
  /** `rfc7592`: GET compared with what the broker holds; `token_request_only`: the site has no RFC 7592. */
  method: 'rfc7592' | 'token_request_only';
  driftFields: string[];
  usable: Usability['status'];
  /** True when nothing changed: only `lastVerifiedAt` was written (no history, attempt or audit row). */
  clean?: true;
}

/** What one look at the site found, before anything is recorded. */
type Observation =
  | {
      kind: 'checked';
      method: VerifyResult['method'];
      drift: DriftEntry[];
      usable: Usability;
      /** The columns the site's answer sets (baseline, secret expiry). */
      columns: RegistrationColumns;
      /** The site sent a new token, URI or secret (stored), or an unfinished rotation's secret was used. */
      credentialsChanged: boolean;
    }
  | { kind: 'gone'; httpStatus: number; usable: Exclude<Usability, { status: 'usable' }>; clientId: string }
  | { kind: 'management_lost'; usable: Usability['status']; httpStatus?: number; clientId: string };

/** A completed verify: what the full protocol records, and what the job answers. */
interface Outcome {
  completion: Completion;
  result: VerifyResult;
}

/**
 * Verifies one registration against its site: RFC 7592 GET (a rotated registration access token
 * is stored before anything else), field-by-field drift against the granted metadata the broker
 * holds, and where the client has the client_credentials grant a real token request ("usable").
 * Sites without RFC 7592 get the token request only, and the result says so.
 *
 * A fleet is verified every day and almost every verify finds nothing new, so a verify is first
 * tried optimistically (issue 18, item 3): the site is read without moving the registration to
 * `verifying` or opening an attempt, and when the answer changes nothing (`changesNothing`) the
 * only write is `lastVerifiedAt`, taken only if the row was not written meanwhile. Anything else
 * goes through the full protocol (move to `verifying` and attempt row, then the outcome with its
 * history, audit and webhook rows), exactly as every verify did before:
 * - an answer that changes something (drift, unusable credentials, a new expiry, credentials
 *   the site rotated): the registration is taken into `verifying` and the answer recorded, if no
 *   other action wrote the row since the read; if one did, the site is read again (rare: the
 *   second read is the price of never recording an answer older than another action's result);
 * - a row that cannot come out clean (the first read after registration records the baseline;
 *   drift or an error recorded last time): the full protocol from the start, one read;
 * - an error: recorded as the attempt's failure at once (no second call to a failing site).
 */
@Injectable()
export class VerifyClientUseCase {
  constructor(
    private readonly targets: VerificationTargets,
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    private readonly usability: UsabilityCheck,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
  ) {}

  async execute(job: LifecycleJobData, attempt: JobAttempt): Promise<VerifyResult | 'nothing_to_do' | 'superseded'> {
    const target = await this.targets.read(job.tenantId, job.registrationId);
    const { registration } = target;
    if (registration.state === 'verifying') {
      // A previous run stopped mid-way: resumed through the protocol, as every action is.
      return this.recorded(target, await this.recorder.resume(registration, 'verify'), attempt);
    }
    if (!RegistrationStates.startable.includes(registration.state) || !registration.credential) return 'nothing_to_do';
    if (!mayVerifyClean(registration)) return this.begin(target, job, attempt);

    let observation: Observation;
    let outcome: Outcome;
    try {
      observation = await this.observe(target, randomUUID());
      outcome = this.outcomeOf(registration, observation);
    } catch (error) {
      if (error instanceof RetryLaterError) throw error;
      return this.begin(await this.reread(job), job, attempt, error);
    }
    const credentialsChanged = observation.kind === 'checked' && observation.credentialsChanged;
    if (credentialsChanged || !changesNothing(registration, outcome.completion)) {
      return this.recordObserved(target, outcome, job, attempt);
    }
    const won = await this.ledger.write({
      kind: 'clean_verify',
      tenantId: registration.tenantId,
      registrationId: registration.id,
      state: registration.state,
      updatedAt: registration.updatedAt,
      at: new Date(),
    });
    // Lost: another action wrote the registration while the site was read (a rotation, an
    // update); what it recorded stands, and the next sweep verifies what it left.
    return won ? { ...outcome.result, clean: true } : 'superseded';
  }

  /**
   * A change the optimistic read found, recorded through the full protocol: the registration is
   * taken into `verifying` (attempt row), and if the row is still as the read saw it, the read's
   * outcome is recorded; if another action ran in between, the site is read again from the row
   * as it is now, so nothing it recorded is overwritten with an older answer.
   */
  private async recordObserved(
    seen: VerificationTarget,
    outcome: Outcome,
    job: LifecycleJobData,
    attempt: JobAttempt,
  ): Promise<VerifyResult | 'nothing_to_do'> {
    const started = await this.recorder.begin(seen.registration, 'verify', job.reason);
    if (!started) return 'nothing_to_do';
    const now = await this.reread(job);
    if (!unchangedSince(seen.registration, now.registration)) return this.recorded(now, started, attempt);
    await this.recorder.complete(seen.registration, 'verify', started, outcome.completion);
    return outcome.result;
  }

  /** After an optimistic read: the row as it is now (another action may have changed it meanwhile). */
  private reread(job: LifecycleJobData): Promise<VerificationTarget> {
    return this.targets.read(job.tenantId, job.registrationId);
  }

  /**
   * The full protocol from `target`, a read of the row just made: the step must start from what
   * the row holds now. `failure`: the optimistic run's error, recorded as the attempt's outcome
   * without calling the site again.
   */
  private async begin(
    target: VerificationTarget,
    job: LifecycleJobData,
    attempt: JobAttempt,
    failure?: unknown,
  ): Promise<VerifyResult | 'nothing_to_do'> {
    const { registration } = target;
    if (!RegistrationStates.startable.includes(registration.state) || !registration.credential) return 'nothing_to_do';
    const started = await this.recorder.begin(registration, 'verify', job.reason);
    if (!started) return 'nothing_to_do';
    if (failure !== undefined) return this.failed(registration, started, failure, attempt);
    return this.recorded(target, started, attempt);
  }

  private async recorded(
    target: VerificationTarget,
    started: RegistrationAttempt,
    attempt: JobAttempt,
  ): Promise<VerifyResult> {
    const { registration } = target;
    try {
      const { completion, result } = this.outcomeOf(registration, await this.observe(target, started.id));
      await this.recorder.complete(registration, 'verify', started, completion);
      return result;
    } catch (error) {
      return this.failed(registration, started, error, attempt);
    }
  }

  private async failed(
    registration: Registration,
    started: RegistrationAttempt,
    error: unknown,
    attempt: JobAttempt,
  ): Promise<VerifyResult> {
    if (error instanceof RetryLaterError) throw error;
    await this.recorder.fail(registration, 'verify', started, problemOf(error), attempt);
    return { state: 'failed', method: 'rfc7592', driftFields: [], usable: 'not_tested' };
  }

  /**
   * Reads the site: the RFC 7592 GET (credential changes it carries are stored at once, with
   * `requestTokenPrefix` making the store writes idempotent) and the token request. Records nothing.
   */
  private async observe(target: VerificationTarget, requestTokenPrefix: string): Promise<Observation> {
    const { registration } = target;
    const site = target.site ?? undefined;
    const loaded = await this.vault.latest(registration);
    if (!loaded) throw credentialMissing();
    const held = canonicalMetadata(registration.grantedMetadata ?? {});
    if (!loaded.credential.management) {
      const usable = await this.usability.check(registration, loaded.credential, held, site);
      return {
        kind: 'checked',
        method: 'token_request_only',
        drift: tokenScopeDrift(held, usable),
        usable,
        columns: {},
        credentialsChanged: loaded.pending,
      };
    }

    const absorber = this.vault.absorber(registration, loaded, requestTokenPrefix);
    const clientId = loaded.credential.clientId;
    let read;
    try {
      read = await readClient(this.http, {
        access: loaded.credential.management,
        knownClientSecret: loaded.credential.clientSecret,
        clientId,
        onCredentialsChanged: absorber.onCredentialsChanged,
      });
    } catch (error) {
      if (error instanceof CredentialSaveError && error.lostRegistrationAccessToken) {
        return { kind: 'management_lost', usable: 'not_tested', clientId };
      }
      throw error;
    }
    if (read.outcome === 'gone') {
      // RFC 7592 §2.1: 401 means "no such client" or "not this token"; the answer alone cannot
      // tell which. A token request can: credentials that still work mean the client exists and
      // only management access is gone.
      const usable = await this.usability.check(
        registration,
        loaded.credential,
        registration.grantedMetadata ?? {},
        site,
      );
      if (usable.status === 'usable') {
        return { kind: 'management_lost', usable: 'usable', httpStatus: read.httpStatus, clientId };
      }
      return { kind: 'gone', httpStatus: read.httpStatus, usable, clientId };
    }
    const drift = detectDrift(held, read.metadata, registration.managementBaseline);
    // A thin answer says nothing about the members it omits: they are as the broker holds them.
    const known = { ...held, ...read.metadata };
    const usable = await this.usability.check(registration, absorber.credential, known, site);
    return {
      kind: 'checked',
      method: 'rfc7592',
      drift: [...drift, ...tokenScopeDrift(known, usable)],
      usable,
      columns: {
        managementBaseline: baselineAfterRead(registration.managementBaseline, read.metadata),
        // The expiry follows the site's latest answer, also when the secret did not change.
        ...(read.clientSecretExpiresAt !== undefined && {
          clientSecretExpiresAt: read.clientSecretExpiresAt ? new Date(read.clientSecretExpiresAt * 1000) : null,
        }),
      },
      credentialsChanged: loaded.pending || absorber.absorbedChanges,
    };
  }

  /** What the full protocol records for an observation (a retryable token failure throws: the step failed). */
  private outcomeOf(registration: Registration, observation: Observation): Outcome {
    switch (observation.kind) {
      case 'checked':
        return this.checked(registration, observation);
      case 'gone':
        return this.gone(observation);
      case 'management_lost':
        return this.managementLost(observation);
    }
  }

  /** The site answered (or, without RFC 7592, its token endpoint did). */
  private checked(registration: Registration, observation: Extract<Observation, { kind: 'checked' }>): Outcome {
    const { method, usable } = observation;
    if (usable.status === 'unusable' && usable.problem.retryable) throw new LifecycleProblem(usable.problem);
    const unusable = usable.status === 'unusable' ? usable.problem : undefined;
    const entries = unusable
      ? [
          ...observation.drift,
          { field: 'credentials', expected: 'usable', actual: unusable.error, kind: 'replaced' as const },
        ]
      : observation.drift;
    const state = unusable ? 'failed' : 'registered';
    const driftFields = entries.map((entry) => entry.field);
    return {
      completion: {
        to: state,
        reason: unusable
          ? `verify: credentials rejected (${unusable.error})`
          : entries.length
            ? 'verified; drift found'
            : 'verified',
        set: {
          ...observation.columns,
          drift: entries as object[],
          lastVerifiedAt: new Date(),
          lastError: unusable ? asLastError(unusable) : null,
          nextAttemptAt: null,
        },
        audit: {
          event: unusable ? 'verify_failed' : 'verified',
          outcome: unusable ? 'failure' : 'success',
          details: {
            method,
            driftFields,
            usable: usable.status,
            ...(usable.status === 'not_tested' && { notTestedBecause: usable.why }),
            ...(usable.status === 'usable' && usable.tokenScope !== undefined && { tokenScope: usable.tokenScope }),
          },
        },
        attempt: { outcome: 'succeeded', clientId: registration.clientId ?? undefined },
      },
      result: { state, method, driftFields, usable: usable.status },
    };
  }

  /** The GET answered 401/404/410 and the token request did not prove the client exists. */
  private gone(observation: Extract<Observation, { kind: 'gone' }>): Outcome {
    const { httpStatus, usable, clientId } = observation;
    const problem =
      usable.status === 'unusable'
        ? permanentProblem(
            'client_deleted_at_site',
            `the site no longer knows client ${clientId} (RFC 7592 GET answered ${httpStatus}, token request refused)`,
          )
        : permanentProblem(
            'client_gone_or_access_lost',
            `RFC 7592 GET answered ${httpStatus}; the client may be deleted or the registration access token revoked (${usable.why})`,
          );
    return {
      completion: {
        to: 'failed',
        reason: `verify: ${problem.error}`,
        // No expiry any more: the rotation sweep must not keep trying a client that is gone.
        set: {
          drift: [CLIENT_GONE_DRIFT] as object[],
          lastVerifiedAt: new Date(),
          lastError: asLastError(problem),
          clientSecretExpiresAt: null,
        },
        audit: { event: 'verify_failed', outcome: 'failure', details: { error: problem.error, httpStatus } },
        attempt: { outcome: 'failed', httpStatus, error: problem },
      },
      result: { state: 'failed', method: 'rfc7592', driftFields: ['client_id'], usable: usable.status },
    };
  }

  /** The client works but the broker can no longer manage it (token revoked, or a rotated one not stored). */
  private managementLost(observation: Extract<Observation, { kind: 'management_lost' }>): Outcome {
    const { clientId, httpStatus, usable } = observation;
    const problem = managementAccessLost(clientId);
    return {
      completion: {
        to: 'failed',
        reason: 'verify: management access lost',
        set: { lastVerifiedAt: new Date(), lastError: asLastError(problem) },
        audit: { event: 'management_access_lost', outcome: 'failure', details: { clientId, httpStatus } },
        attempt: { outcome: 'failed', httpStatus, error: problem },
      },
      result: { state: 'failed', method: 'rfc7592', driftFields: [], usable },
    };
  }
}
