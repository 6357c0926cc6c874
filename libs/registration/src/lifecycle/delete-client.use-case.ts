import { Inject, Injectable } from '@nestjs/common';
import type { Registration } from '#domain';
import { RegistrationRepository, type RegistrationAttempt } from '#persistence';
import { RetryLaterError, type LifecycleJobData } from '#queue';
import { deleteClient, type SafeHttpClient } from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import type { JobAttempt } from '#queue';
import { RegistrationCredentialVault, type LoadedCredential } from './credential-vault.js';
import { problemOf } from './lifecycle-problems.js';
import { LifecycleRecorder } from './lifecycle-recorder.js';
import { UdapRegistrationUseCase } from '../udap/udap-registration.use-case.js';

/**
 * What happened to a client at its site. `access_lost`: the broker knows its registration access
 * token stopped working while the client did not (management_access_lost), so the 401 of the
 * DELETE proves nothing: the client is reported as left at the site, not as gone.
 */
export type SiteOutcome = 'deleted' | 'already_gone' | 'not_supported' | 'access_lost';

export type DeleteResult =
  { state: 'deleted'; clients: Array<{ clientId: string; atSite: SiteOutcome }> } | 'nothing_to_do' | 'failed';

/**
 * Offboards one registration: RFC 7592 DELETE of its client (and of a replacement client a
 * re-registration left pending), where 401/404/410 mean already gone (RFC 7592 §2.3), THEN the
 * secret is deleted, and the row stays as a `deleted` tombstone. A site without RFC 7592 cannot
 * delete: the client is named in an audit event for its administrator.
 */
@Injectable()
export class DeleteClientUseCase {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    private readonly udap: UdapRegistrationUseCase,
  ) {}

  async execute(job: LifecycleJobData, attempt: JobAttempt): Promise<DeleteResult> {
    const registration = await this.registrations.findById(job.tenantId, job.registrationId);
    const started = await this.recorder.start(registration, 'delete', job.reason);
    if (!started) return 'nothing_to_do';
    try {
      return await this.offboard(registration, started);
    } catch (error) {
      if (error instanceof RetryLaterError) throw error;
      return this.recorder.fail(registration, 'delete', started, problemOf(error, registration.clientId), attempt);
    }
  }

  private async offboard(registration: Registration, started: RegistrationAttempt): Promise<DeleteResult> {
    const credentials = [
      await this.vault.pendingReplacement(registration),
      await this.vault.latest(registration),
    ].filter((loaded): loaded is LoadedCredential => loaded !== null);
    const accessLost = registration.lastError?.error === 'management_access_lost';
    const clients: Array<{ clientId: string; atSite: SiteOutcome }> = [];
    for (const { credential } of credentials) {
      // UDAP: no RFC 7592 there; a UDAP client is cancelled with an empty grant_types (IG §3.4).
      if (
        !credential.management &&
        credential.clientId === registration.clientId &&
        (await this.udap.cancelAtSite(registration))
      ) {
        clients.push({ clientId: credential.clientId, atSite: 'deleted' });
        continue;
      }
      if (!credential.management) {
        clients.push({ clientId: credential.clientId, atSite: 'not_supported' });
        continue;
      }
      const outcome = await deleteClient(this.http, { access: credential.management });
      const gone = accessLost && credential.clientId === registration.clientId ? 'access_lost' : 'already_gone';
      clients.push({ clientId: credential.clientId, atSite: outcome.outcome === 'deleted' ? 'deleted' : gone });
    }
    // Only now: a secret deleted first would leave a client at the site nobody can remove.
    if (registration.credential) await this.vault.delete(registration.credential.name);
    await this.recorder.complete(registration, 'delete', started, {
      to: 'deleted',
      reason: 'offboarded',
      // A deleted registration shows no error any more; the one it had stays in this audit event
      // and in the history of the step that recorded it.
      set: {
        credentialSecret: null,
        credentialVersion: null,
        clientSecretExpiresAt: null,
        nextAttemptAt: null,
        lastError: null,
      },
      audit: {
        event: 'deleted',
        outcome: 'success',
        // An orphan_suspected registration never stored its client: the attempt that may have
        // created one (with its nonce) is in the registration's attempts and audit trail.
        details: {
          clients,
          orphanSuspected: registration.state === 'orphan_suspected',
          ...(registration.lastError && { clearedError: registration.lastError }),
        },
      },
      attempt: { outcome: 'succeeded', clientId: registration.clientId ?? undefined },
    });
    for (const client of clients.filter((c) => c.atSite === 'not_supported' || c.atSite === 'access_lost')) {
      await this.recorder.record(registration, 'registration.client_left_at_site', 'failure', {
        clientId: client.clientId,
        why:
          client.atSite === 'not_supported'
            ? 'the site has no RFC 7592 delete: its administrator must remove this client'
            : 'the registration access token was lost: the site administrator must remove this client',
      });
    }
    return { state: 'deleted', clients };
  }
}
