import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { NotFoundError, type App, type Registration } from '#domain';
import { AppRepository, RegistrationRepository, type RegistrationAttempt } from '#persistence';
import { RetryLaterError, type LifecycleJobData } from '#queue';
import { updateClient, type SafeHttpClient } from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { managedJwksUri } from '../engine/requested-metadata.js';
import type { JobAttempt } from '#queue';
import { CredentialSwitch, type SwitchResult } from './credential-switch.js';
import { RegistrationCredentialVault } from './credential-vault.js';
import { credentialMissing, goneProblem, problemOf } from './lifecycle-problems.js';
import { LifecycleRecorder } from './lifecycle-recorder.js';

export type UpdateResult = (SwitchResult & { metadataVersion: number }) | 'up_to_date' | 'nothing_to_do' | 'failed';

/**
 * Brings one registration to its app's current metadata. With RFC 7592: read, merge, PUT the
 * whole document (updateClient), fields the app no longer has removed; a new secret in the
 * answer is staged, proven and promoted like a rotation. Without RFC 7592: a new client with
 * the new metadata replaces the old one. A change the site refuses leaves the registration
 * `failed` with the site's error while the old client keeps working and stays recorded.
 */
@Injectable()
export class UpdateClientUseCase {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly apps: AppRepository,
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    private readonly credentialSwitch: CredentialSwitch,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async execute(job: LifecycleJobData, attempt: JobAttempt): Promise<UpdateResult> {
    const registration = await this.registrations.findById(job.tenantId, job.registrationId);
    const app = await this.apps.findById(registration.tenantId, registration.appId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null; // deleted meanwhile: offboarding takes over
      throw error;
    });
    if (!app || !registration.credential) return 'nothing_to_do';
    if (registration.state !== 'updating' && registration.metadataVersion >= app.metadataVersion) return 'up_to_date';
    const started = await this.recorder.start(registration, 'update', job.reason);
    if (!started) return 'nothing_to_do';
    let result: UpdateResult;
    try {
      result = await this.update(registration, app, started);
    } catch (error) {
      if (error instanceof RetryLaterError) throw error;
      return this.recorder.fail(registration, 'update', started, problemOf(error, registration.clientId), attempt);
    }
    // The app changed again while this ran; a new job for it was deduplicated into this one.
    const latest = await this.apps.findById(registration.tenantId, registration.appId).catch(() => null);
    if (latest && latest.metadataVersion > app.metadataVersion) throw new RetryLaterError(0, 'the app changed again');
    return result;
  }

  private async update(registration: Registration, app: App, started: RegistrationAttempt): Promise<UpdateResult> {
    const desired = this.desiredMetadata(app);
    const columns = { requestedMetadata: app.clientMetadata as object, metadataVersion: app.metadataVersion };
    const replacement = await this.vault.pendingReplacement(registration);
    if (replacement) {
      const switched = await this.credentialSwitch.switchOver(registration, 'update', started, replacement, {
        testMetadata: desired,
        set: { ...columns, grantedMetadata: desired },
      });
      return { ...switched, metadataVersion: app.metadataVersion };
    }
    const loaded = await this.vault.latest(registration);
    if (!loaded) throw credentialMissing();
    if (!loaded.credential.management) {
      const switched = await this.credentialSwitch.reRegister(registration, 'update', started, desired, columns);
      return { ...switched, metadataVersion: app.metadataVersion };
    }

    const absorber = this.vault.absorber(registration, loaded, started.id);
    const result = await updateClient(this.http, {
      access: loaded.credential.management,
      // RFC 7592 §2.2: client_id and the full canonical metadata wanted; members the app dropped
      // are removed by being left out.
      metadata: desired,
      knownClientSecret: loaded.credential.clientSecret,
      clientId: loaded.credential.clientId,
      onCredentialsChanged: absorber.onCredentialsChanged,
    });
    if (result.outcome === 'gone') throw goneProblem(registration.lastError, registration.clientId, result.httpStatus);
    const set = {
      ...columns,
      grantedMetadata: result.granted,
      metadataDifferences: result.differences as object[],
      drift: null,
      // The metadata changed: the next read is the new baseline.
      managementBaseline: null,
      // The expiry follows the site's latest answer; a thin answer (none given) leaves it as it was.
      ...(result.clientSecretExpiresAt !== undefined && {
        clientSecretExpiresAt: result.clientSecretExpiresAt ? new Date(result.clientSecretExpiresAt * 1000) : null,
      }),
    };
    // Sites that renew the secret on every PUT (sandbox `expiring-secrets`) hand out a new one here.
    if (absorber.hasPendingSecret) {
      const pending = { credential: absorber.credential, versionId: absorber.latestVersion.versionId };
      const switched = await this.credentialSwitch.promoteSecret(registration, 'update', started, pending, {
        testMetadata: result.granted,
        set,
      });
      return { ...switched, metadataVersion: app.metadataVersion };
    }
    await this.recorder.complete(registration, 'update', started, {
      to: 'registered',
      reason: 'metadata updated',
      set: { ...set, lastError: null, nextAttemptAt: null },
      audit: {
        event: 'updated',
        outcome: 'success',
        details: {
          clientId: result.clientId,
          metadataVersion: app.metadataVersion,
          differences: result.differences.map((d) => d.field),
        },
      },
      attempt: { outcome: 'succeeded', clientId: result.clientId },
    });
    return { clientId: result.clientId, method: 'rfc7592_put', tested: false, metadataVersion: app.metadataVersion };
  }

  /** The RFC 7591 document the app asks for now, plus what the broker owns (managed keys' jwks_uri). */
  private desiredMetadata(app: App): Record<string, unknown> {
    const metadata: Record<string, unknown> = { ...app.clientMetadata };
    if (app.keyManagement === 'managed') metadata.jwks_uri = managedJwksUri(this.config, app.id);
    return metadata;
  }
}
