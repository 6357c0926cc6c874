import { Inject, Injectable } from '@nestjs/common';
import { REGISTRATION_LEDGER, type Registration, type RegistrationColumns, type RegistrationLedger } from '#domain';
import { SiteRegistration } from '../engine/site-registration.js';
import { HealthSystemRepository, type RegistrationAttempt } from '#persistence';
import { deleteClient, type SafeHttpClient } from '#smart-client';
import { credentialFromRegistration, type RegistrationCredential } from '../credentials/registration-credential.js';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { permanentProblem, type RegistrationProblem } from '../engine/registration-errors.js';
import { RegistrationCredentialVault, type LoadedCredential } from './credential-vault.js';
import { asLastError, LifecycleProblem } from './lifecycle-problems.js';
import { LifecycleRecorder, type LifecycleAction } from './lifecycle-recorder.js';
import { UsabilityCheck } from '../engine/usability-check.js';

/**
 * `testMetadata`: the client's metadata, to decide how to test it; `set`: columns written with
 * the switch (an update's new requested/granted metadata and version).
 */
export interface SwitchContext {
  testMetadata: Readonly<Record<string, unknown>>;
  set?: RegistrationColumns;
}

export interface SwitchResult {
  clientId: string;
  /** `rfc7592_put`: same client, new secret; `re_registration`: a new client replaced the old one. */
  method: 'rfc7592_put' | 're_registration';
  tested: boolean;
}

/**
 * The end of every credential change, for update and rotation alike: a new credential waits in
 * AWSPENDING until a token request proves it, then AWSCURRENT moves to it (the old version
 * becomes AWSPREVIOUS) and only then does the row point at it.
 *
 * What "overlap" means depends on the site. After re-registration the old client keeps working
 * until the switch is recorded, so there is no gap. After an RFC 7592 PUT that issues a new
 * secret, servers such as the sandbox (and Keycloak) invalidate the old secret in the same
 * instant: no overlap is possible at the site, and the gap in which the served (old) secret
 * fails lasts from the PUT's answer to the row update (one token request and two writes). A
 * tenant app that gets `invalid_client` must read its credentials again.
 */
@Injectable()
export class CredentialSwitch {
  constructor(
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    private readonly usability: UsabilityCheck,
    private readonly healthSystems: HealthSystemRepository,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    private readonly site: SiteRegistration,
    @Inject(REGISTRATION_LEDGER) private readonly ledger: RegistrationLedger,
  ) {}

  /**
   * Tests and promotes a pending new secret of the SAME client. The served credential must be
   * the one the site accepts: when the new secret is refused, the old one is tried as a control.
   * Old accepted: the site did not switch, the new secret is not promoted (the step fails with
   * `new_credential_rejected`, the old one keeps being served). Old refused too: the site has
   * switched (it revoked the old secret when it issued the new one), so the new one is promoted,
   * marked untested, and the registration says so.
   */
  async promoteSecret(
    registration: Registration,
    action: LifecycleAction,
    started: RegistrationAttempt,
    pending: { credential: RegistrationCredential; versionId: string },
    context: SwitchContext,
  ): Promise<SwitchResult> {
    let tested: boolean;
    let unproven: RegistrationProblem | undefined;
    try {
      tested = await this.prove(registration, pending.credential, context.testMetadata);
    } catch (error) {
      if (!(error instanceof LifecycleProblem) || error.problem.error !== 'new_credential_rejected') throw error;
      const old = await this.vault.served(registration);
      const control = old?.credential.clientSecret
        ? await this.usability.check(registration, old.credential, context.testMetadata)
        : undefined;
      if (!control || control.status !== 'unusable') throw error;
      if (control.problem.retryable) throw new LifecycleProblem(control.problem);
      tested = false;
      unproven = {
        ...permanentProblem(
          'new_credential_unproven',
          `the site refused a token request with both the new secret (${error.problem.error_description ?? error.problem.error}) ` +
            `and the previous one (${control.problem.error}): the new secret, the site's latest, is served untested`,
        ),
      };
    }
    await this.vault.promote(registration.credential!.name, pending.versionId);
    await this.recorder.complete(registration, action, started, {
      to: 'registered',
      reason: unproven
        ? `${action}: new secret served untested (the previous one is refused too)`
        : action === 'rotate'
          ? 'secret rotated'
          : 'metadata updated',
      set: {
        credentialVersion: pending.versionId,
        clientSecretExpiresAt: expiry(pending.credential),
        clientSecretIssuedAt: new Date(),
        ...context.set,
        lastError: unproven ? asLastError(unproven) : null,
        nextAttemptAt: null,
      },
      audit: {
        event: action === 'rotate' ? 'secret_rotated' : 'updated',
        outcome: 'success',
        details: {
          clientId: pending.credential.clientId,
          method: 'rfc7592_put',
          tested,
          ...(unproven && { untestedBecause: unproven.error_description }),
        },
      },
      attempt: { outcome: 'succeeded', clientId: pending.credential.clientId },
    });
    return { clientId: pending.credential.clientId, method: 'rfc7592_put', tested };
  }

  /**
   * RFC 7591 registration of a new client with `metadata`, for sites without RFC 7592 or that
   * issue no new secret on PUT. The new credential is staged (AWSPENDING) the moment it
   * arrives, so a crash after this point resumes with `switchOver` instead of registering again.
   */
  async reRegister(
    registration: Registration,
    action: LifecycleAction,
    started: RegistrationAttempt,
    metadata: Record<string, unknown>,
    set?: RegistrationColumns,
  ): Promise<SwitchResult> {
    const healthSystem = await this.healthSystems.findById(registration.healthSystemId);
    const { registrationEndpoint } = await this.site.endpoint(healthSystem);
    if (!registrationEndpoint) {
      throw new LifecycleProblem(
        permanentProblem(
          'registration_not_supported',
          'the site advertises no RFC 7591 registration endpoint any more',
        ),
      );
    }
    const initialAccessToken = await this.site.initialAccessToken(healthSystem);
    const result = await this.site.register({ registrationEndpoint, metadata, initialAccessToken });
    // As at first registration: the new client is named on the attempt before anything else can
    // fail, so a worker killed from here on leaves a record that names it (the resumed attempt
    // is closed `unknown` with this client id) rather than an untracked client at the site.
    await this.ledger
      .write({ kind: 'note_client', attemptId: started.id, clientId: result.clientId })
      .catch(() => false);
    const credential = credentialFromRegistration(result);
    const ref = await this.vault.stage(registration.credential!.name, credential, `${started.id}.client`);
    return this.switchOver(
      registration,
      action,
      started,
      { credential, versionId: ref.versionId, pending: true },
      {
        testMetadata: result.granted,
        set: {
          grantedMetadata: result.granted,
          metadataDifferences: result.differences as object[],
          ...set,
        },
      },
    );
  }

  /**
   * Moves the registration to a staged new client: prove it, promote it, record it, then retire
   * the old client (RFC 7592 DELETE where the old client has a registration access token;
   * otherwise it stays at the site and an audit event names it for the site's administrator).
   */
  async switchOver(
    registration: Registration,
    action: LifecycleAction,
    started: RegistrationAttempt,
    replacement: LoadedCredential,
    context: SwitchContext,
  ): Promise<SwitchResult> {
    const old = await this.oldClientNewest(registration);
    const tested = await this.prove(registration, replacement.credential, context.testMetadata);
    await this.vault.promote(registration.credential!.name, replacement.versionId);
    const { credential } = replacement;
    await this.recorder.complete(registration, action, started, {
      to: 'registered',
      reason: `${action}: switched to a newly registered client`,
      set: {
        clientId: credential.clientId,
        credentialVersion: replacement.versionId,
        clientSecretExpiresAt: expiry(credential),
        clientSecretIssuedAt: new Date(),
        managementSupported: credential.management !== undefined,
        ...context.set,
        drift: null,
        managementBaseline: null, // a new client: its first read sets the baseline again
        lastError: null,
        nextAttemptAt: null,
      },
      audit: {
        event: action === 'rotate' ? 'secret_rotated' : 'updated',
        outcome: 'success',
        details: {
          clientId: credential.clientId,
          // The client this one replaced (the row still names it here, before the switch).
          previousClientId: old?.credential.clientId ?? registration.clientId ?? undefined,
          method: 're_registration',
          tested,
        },
      },
      attempt: { outcome: 'succeeded', clientId: credential.clientId },
    });
    if (old && old.credential.clientId !== credential.clientId)
      await this.retire(registration, old.credential, credential.clientId);
    return { clientId: credential.clientId, method: 're_registration', tested };
  }

  /**
   * The client being replaced, in its newest stored version: a management call of this very job
   * (the PUT before a fallback to re-registration) may have rotated its registration access token
   * into a newer AWSCURRENT than the row serves, and only that token can still delete it.
   */
  private async oldClientNewest(registration: Registration): Promise<LoadedCredential | null> {
    const [served, latest] = await Promise.all([this.vault.served(registration), this.vault.latest(registration)]);
    return latest && served && latest.credential.clientId === served.credential.clientId ? latest : served;
  }

  private async retire(registration: Registration, old: RegistrationCredential, replacedBy: string): Promise<void> {
    if (!old.management) {
      await this.recorder.record(registration, 'registration.client_left_at_site', 'failure', {
        clientId: old.clientId,
        replacedBy,
        why: 'the site has no RFC 7592 delete: its administrator must remove this client',
      });
      return;
    }
    try {
      const deleted = await deleteClient(this.http, { access: old.management });
      if (deleted.outcome === 'gone' && deleted.httpStatus === 401) {
        // RFC 7592 §2 answers 401 both for a client that no longer exists and for a registration
        // access token the site no longer accepts (rotated, revoked): it proves nothing here, so
        // the old client is reported to the site instead of being counted as deleted.
        await this.recorder.record(registration, 'registration.client_left_at_site', 'failure', {
          clientId: old.clientId,
          replacedBy,
          why: 'the RFC 7592 DELETE was answered 401: the client is gone or the access token is no longer accepted; its administrator must check',
        });
        return;
      }
      await this.recorder.record(registration, 'registration.old_client_deleted', 'success', {
        clientId: old.clientId,
        replacedBy,
        outcome: deleted.outcome,
      });
    } catch (error) {
      // The switch is recorded; a failed clean-up must not undo it. The old client is reported instead.
      await this.recorder.record(registration, 'registration.client_left_at_site', 'failure', {
        clientId: old.clientId,
        replacedBy,
        why: `RFC 7592 DELETE failed: ${(error as Error).message}`,
      });
    }
  }

  /**
   * A token request with the new credential. A transient failure throws (the job runs again and
   * finds the pending version); a refusal is permanent: the new credential is not promoted.
   * Returns false when the client cannot be tested without a user.
   */
  private async prove(
    registration: Registration,
    credential: RegistrationCredential,
    metadata: Record<string, unknown>,
  ): Promise<boolean> {
    const usable = await this.usability.check(registration, credential, metadata);
    if (usable.status === 'unusable') {
      const { problem } = usable;
      throw new LifecycleProblem(
        problem.retryable
          ? problem
          : {
              ...problem,
              error: 'new_credential_rejected',
              error_description: `the site refused a token request with the new credential (${problem.error})`,
            },
      );
    }
    return usable.status === 'usable';
  }
}

/** RFC 7591 §3.2.1: 0 means the secret never expires (stored as no expiry). */
export function expiry(credential: RegistrationCredential): Date | null {
  return credential.clientSecretExpiresAt ? new Date(credential.clientSecretExpiresAt * 1000) : null;
}
