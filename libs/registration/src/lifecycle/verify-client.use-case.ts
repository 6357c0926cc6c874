import { Inject, Injectable } from '@nestjs/common';
import { RegistrationStates, type Registration, type RegistrationColumns } from '#domain';
import { RegistrationRepository, type RegistrationAttempt } from '#persistence';
import { RetryLaterError, type LifecycleJobData } from '#queue';
import { canonicalMetadata, readClient, type SafeHttpClient } from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { permanentProblem } from '../engine/registration-errors.js';
import type { JobAttempt } from '#queue';
import { CredentialSaveError, RegistrationCredentialVault, type LoadedCredential } from './credential-vault.js';
import { baselineAfterRead, CLIENT_GONE_DRIFT, detectDrift, tokenScopeDrift, type DriftEntry } from './drift.js';
import { LifecycleRecorder } from './lifecycle-recorder.js';
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
}

/**
 * Verifies one registration against its site: RFC 7592 GET (a rotated registration access token
 * is stored before anything else), field-by-field drift against the granted metadata the broker
 * holds, and where the client has the client_credentials grant a real token request ("usable").
 * Sites without RFC 7592 get the token request only, and the result says so.
 */
@Injectable()
export class VerifyClientUseCase {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    private readonly usability: UsabilityCheck,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
  ) {}

  async execute(job: LifecycleJobData, attempt: JobAttempt): Promise<VerifyResult | 'nothing_to_do'> {
    const registration = await this.registrations.findById(job.tenantId, job.registrationId);
    let started: RegistrationAttempt | null;
    if (registration.state === 'verifying') started = await this.recorder.resume(registration, 'verify');
    else if (RegistrationStates.startable.includes(registration.state) && registration.credential) {
      started = await this.recorder.begin(registration, 'verify', job.reason);
    } else return 'nothing_to_do';
    if (!started) return 'nothing_to_do';
    try {
      return await this.verify(registration, started);
    } catch (error) {
      if (error instanceof RetryLaterError) throw error;
      await this.recorder.fail(registration, 'verify', started, problemOf(error), attempt);
      return { state: 'failed', method: 'rfc7592', driftFields: [], usable: 'not_tested' };
    }
  }

  private async verify(registration: Registration, started: RegistrationAttempt): Promise<VerifyResult> {
    const loaded = await this.vault.latest(registration);
    if (!loaded) throw credentialMissing();
    const held = canonicalMetadata(registration.grantedMetadata ?? {});
    if (!loaded.credential.management) {
      const usable = await this.usability.check(registration, loaded.credential, held);
      return this.finish(registration, started, 'token_request_only', tokenScopeDrift(held, usable), usable);
    }

    const absorber = this.vault.absorber(registration, loaded, started.id);
    let read;
    try {
      read = await readClient(this.http, {
        access: loaded.credential.management,
        knownClientSecret: loaded.credential.clientSecret,
        clientId: loaded.credential.clientId,
        onCredentialsChanged: absorber.onCredentialsChanged,
      });
    } catch (error) {
      if (error instanceof CredentialSaveError && error.lostRegistrationAccessToken) {
        return this.lostManagement(registration, started, loaded, 'not_tested');
      }
      throw error;
    }
    if (read.outcome === 'gone') return this.goneOrLocked(registration, started, loaded, read.httpStatus);
    const drift = detectDrift(held, read.metadata, registration.managementBaseline);
    // A thin answer says nothing about the members it omits: they are as the broker holds them.
    const known = { ...held, ...read.metadata };
    const usable = await this.usability.check(registration, absorber.credential, known);
    return this.finish(registration, started, 'rfc7592', [...drift, ...tokenScopeDrift(known, usable)], usable, {
      managementBaseline: baselineAfterRead(registration.managementBaseline, read.metadata),
      // The expiry follows the site's latest answer, also when the secret did not change.
      ...(read.clientSecretExpiresAt !== undefined && {
        clientSecretExpiresAt: read.clientSecretExpiresAt ? new Date(read.clientSecretExpiresAt * 1000) : null,
      }),
    });
  }

  private async finish(
    registration: Registration,
    started: RegistrationAttempt,
    method: VerifyResult['method'],
    drift: DriftEntry[],
    usable: Usability,
    extra: RegistrationColumns = {},
  ): Promise<VerifyResult> {
    if (usable.status === 'unusable' && usable.problem.retryable) throw new LifecycleProblem(usable.problem);
    const unusable = usable.status === 'unusable' ? usable.problem : undefined;
    const entries = unusable
      ? [...drift, { field: 'credentials', expected: 'usable', actual: unusable.error, kind: 'replaced' as const }]
      : drift;
    const state = unusable ? 'failed' : 'registered';
    await this.recorder.complete(registration, 'verify', started, {
      to: state,
      reason: unusable
        ? `verify: credentials rejected (${unusable.error})`
        : entries.length
          ? 'verified; drift found'
          : 'verified',
      set: {
        ...extra,
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
          driftFields: entries.map((entry) => entry.field),
          usable: usable.status,
          ...(usable.status === 'not_tested' && { notTestedBecause: usable.why }),
          ...(usable.status === 'usable' && usable.tokenScope !== undefined && { tokenScope: usable.tokenScope }),
        },
      },
      attempt: { outcome: 'succeeded', clientId: registration.clientId ?? undefined },
    });
    return { state, method, driftFields: entries.map((entry) => entry.field), usable: usable.status };
  }

  /**
   * RFC 7592 §2.1: 401 means "no such client" or "not this token"; the answer alone cannot tell
   * which. A token request can: credentials that still work mean the client exists and only
   * management access is gone.
   */
  private async goneOrLocked(
    registration: Registration,
    started: RegistrationAttempt,
    loaded: LoadedCredential,
    httpStatus: number,
  ): Promise<VerifyResult> {
    const usable = await this.usability.check(registration, loaded.credential, registration.grantedMetadata ?? {});
    if (usable.status === 'usable') return this.lostManagement(registration, started, loaded, 'usable', httpStatus);
    const problem =
      usable.status === 'unusable'
        ? permanentProblem(
            'client_deleted_at_site',
            `the site no longer knows client ${loaded.credential.clientId} (RFC 7592 GET answered ${httpStatus}, token request refused)`,
          )
        : permanentProblem(
            'client_gone_or_access_lost',
            `RFC 7592 GET answered ${httpStatus}; the client may be deleted or the registration access token revoked (${usable.why})`,
          );
    await this.recorder.complete(registration, 'verify', started, {
      to: 'failed',
      reason: `verify: ${problem.error}`,
      // No expiry any more: the rotation sweep must not keep trying a client that is gone.
      set: {
        drift: [CLIENT_GONE_DRIFT] as object[],
        lastVerifiedAt: new Date(),
        lastError: asLastError(problem),
        clientSecretExpiresAt: null,
      },
      audit: {
        event: 'verify_failed',
        outcome: 'failure',
        details: { error: problem.error, httpStatus },
      },
      attempt: { outcome: 'failed', httpStatus, error: problem },
    });
    return { state: 'failed', method: 'rfc7592', driftFields: ['client_id'], usable: usable.status };
  }

  private async lostManagement(
    registration: Registration,
    started: RegistrationAttempt,
    loaded: LoadedCredential,
    usable: Usability['status'],
    httpStatus?: number,
  ): Promise<VerifyResult> {
    const problem = managementAccessLost(loaded.credential.clientId);
    await this.recorder.complete(registration, 'verify', started, {
      to: 'failed',
      reason: 'verify: management access lost',
      set: { lastVerifiedAt: new Date(), lastError: asLastError(problem) },
      audit: {
        event: 'management_access_lost',
        outcome: 'failure',
        details: { clientId: loaded.credential.clientId, httpStatus },
      },
      attempt: { outcome: 'failed', httpStatus, error: problem },
    });
    return { state: 'failed', method: 'rfc7592', driftFields: [], usable };
  }
}
