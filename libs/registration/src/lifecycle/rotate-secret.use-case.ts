import { Inject, Injectable } from '@nestjs/common';
import type { Registration } from '#domain';
import { RegistrationRepository, type RegistrationAttempt } from '#persistence';
import { RetryLaterError, type LifecycleJobData } from '#queue';
import { canonicalMember, updateClient, type SafeHttpClient } from '#smart-client';
import { SAFE_HTTP } from '../outbound/outbound.providers.js';
import { RequestedMetadataBuilder } from '../engine/requested-metadata.js';
import type { JobAttempt } from '#queue';
import { CredentialSwitch, type SwitchResult } from './credential-switch.js';
import { RegistrationCredentialVault } from './credential-vault.js';
import { credentialMissing, goneProblem, problemOf } from './lifecycle-problems.js';
import { LifecycleRecorder } from './lifecycle-recorder.js';

export type RotateResult = SwitchResult | 'nothing_to_rotate' | 'nothing_to_do' | 'failed';

/**
 * Rotates a registration's client secret before it expires. With RFC 7592: a PUT of the
 * unchanged metadata, after which servers that renew secrets answer with a new one (RFC 7592
 * §2.2); it is stored as AWSPENDING before anything else, proven with a token request, then
 * promoted (see CredentialSwitch for what "overlap" means at such servers). A site without
 * RFC 7592, or one that issues no new secret on PUT, gets a new client instead and the old one
 * is retired. A run that finds a pending version (a previous run stopped) finishes that one
 * rather than asking the site again.
 */
@Injectable()
export class RotateSecretUseCase {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly vault: RegistrationCredentialVault,
    private readonly recorder: LifecycleRecorder,
    private readonly credentialSwitch: CredentialSwitch,
    private readonly requestedMetadata: RequestedMetadataBuilder,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
  ) {}

  async execute(job: LifecycleJobData, attempt: JobAttempt): Promise<RotateResult> {
    const registration = await this.registrations.findById(job.tenantId, job.registrationId);
    if (!registration.credential) return 'nothing_to_do';
    const started = await this.recorder.start(registration, 'rotate', job.reason);
    if (!started) return 'nothing_to_do';
    try {
      return await this.rotate(registration, started);
    } catch (error) {
      if (error instanceof RetryLaterError) throw error;
      return this.recorder.fail(registration, 'rotate', started, problemOf(error, registration.clientId), attempt);
    }
  }

  private async rotate(registration: Registration, started: RegistrationAttempt): Promise<RotateResult> {
    const held = registration.grantedMetadata ?? {};
    const replacement = await this.vault.pendingReplacement(registration);
    if (replacement)
      return this.credentialSwitch.switchOver(registration, 'rotate', started, replacement, { testMetadata: held });
    const loaded = await this.vault.latest(registration);
    if (!loaded) throw credentialMissing();
    // Promoted but not recorded (a crash between the two): finish recording the switch.
    if (loaded.credential.clientId !== registration.clientId) {
      return this.credentialSwitch.switchOver(registration, 'rotate', started, loaded, { testMetadata: held });
    }
    if (loaded.pending)
      return this.credentialSwitch.promoteSecret(registration, 'rotate', started, loaded, { testMetadata: held });
    if (!loaded.credential.clientSecret) return this.skip(registration, started, 'the client has no secret');
    // A private_key_jwt client never uses the secret a site may have issued with it: its expiry
    // is no reason to replace the client (a new client_id for the tenant) or to PUT anything.
    if (authMethodOf(registration) === 'private_key_jwt') {
      return this.skip(
        registration,
        started,
        'the client authenticates with private_key_jwt; its unused secret may expire',
      );
    }
    if (!loaded.credential.management) {
      return this.credentialSwitch.reRegister(
        registration,
        'rotate',
        started,
        await this.requestedMetadata.build(registration),
      );
    }

    const absorber = this.vault.absorber(registration, loaded, started.id);
    // The broker's own requested document, as an update sends it: never the server's echo.
    const requested = await this.requestedMetadata.build(registration);
    const result = await updateClient(this.http, {
      access: loaded.credential.management,
      metadata: requested,
      knownClientSecret: loaded.credential.clientSecret,
      clientId: loaded.credential.clientId,
      onCredentialsChanged: absorber.onCredentialsChanged,
    });
    if (result.outcome === 'gone') throw goneProblem(registration.lastError, registration.clientId, result.httpStatus);
    if (!absorber.hasPendingSecret) {
      // Same secret, later expiry: the site renews a secret's lifetime on PUT. Nothing to replace.
      const extendedTo = extendedExpiry(registration.clientSecretExpiresAt, result.clientSecretExpiresAt);
      if (extendedTo !== undefined) return this.extended(registration, started, extendedTo);
      // The site keeps secrets on PUT (plain node-oidc-provider does): only a new client brings a new secret.
      return this.credentialSwitch.reRegister(registration, 'rotate', started, requested);
    }
    return this.credentialSwitch.promoteSecret(
      registration,
      'rotate',
      started,
      { credential: absorber.credential, versionId: absorber.latestVersion.versionId },
      { testMetadata: result.granted },
    );
  }

  /** The PUT kept the secret and moved its expiry: record the expiry the site answered. */
  private async extended(
    registration: Registration,
    started: RegistrationAttempt,
    expiresAt: Date | null,
  ): Promise<RotateResult> {
    await this.recorder.complete(registration, 'rotate', started, {
      to: 'registered',
      reason: 'secret lifetime extended by the site',
      set: {
        clientSecretExpiresAt: expiresAt,
        clientSecretIssuedAt: new Date(),
        lastError: null,
        nextAttemptAt: null,
      },
      audit: {
        event: 'secret_rotated',
        outcome: 'success',
        details: {
          clientId: registration.clientId,
          method: 'expiry_extended',
          clientSecretExpiresAt: expiresAt?.toISOString() ?? null,
        },
      },
      attempt: { outcome: 'succeeded', clientId: registration.clientId ?? undefined },
    });
    return { clientId: registration.clientId!, method: 'rfc7592_put', tested: false };
  }

  /** private_key_jwt clients have no secret; key rotation is a separate (not yet built) job. */
  private async skip(registration: Registration, started: RegistrationAttempt, why: string): Promise<RotateResult> {
    await this.recorder.complete(registration, 'rotate', started, {
      to: 'registered',
      reason: 'no client secret to rotate',
      // No rotation is due for a secret nothing uses: the sweep stops picking this row.
      set: { lastError: null, nextAttemptAt: null, clientSecretExpiresAt: null },
      audit: {
        event: 'secret_rotation_skipped',
        outcome: 'success',
        details: { why },
      },
      attempt: { outcome: 'succeeded', clientId: registration.clientId ?? undefined },
    });
    return 'nothing_to_rotate';
  }
}

/** The token endpoint auth method the site granted (else the one requested). */
function authMethodOf(registration: Registration): unknown {
  return (
    canonicalMember('token_endpoint_auth_method', registration.grantedMetadata?.token_endpoint_auth_method) ??
    canonicalMember('token_endpoint_auth_method', registration.requestedMetadata.token_endpoint_auth_method)
  );
}

/**
 * The new expiry when an RFC 7592 answer moved an expiring secret's expiry later (0: never
 * expires any more); undefined when the answer did not say, or nothing improved.
 */
export function extendedExpiry(current: Date | null, answered: number | undefined): Date | null | undefined {
  if (answered === undefined || current === null) return undefined;
  if (answered === 0) return null;
  const next = new Date(answered * 1000);
  return next.getTime() > current.getTime() ? next : undefined;
}
