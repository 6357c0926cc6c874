import { Inject, Injectable, Logger } from '@nestjs/common';
import { SECRET_STORE, type Registration, type SecretRef, type SecretStore } from '#domain';
import { RegistrationRepository } from '#persistence';
import type { CredentialsChange } from '#smart-client';
import { openCredential, sealCredential, type RegistrationCredential } from '../credentials/registration-credential.js';

/** A credential as stored, with the version it came from. */
export interface LoadedCredential {
  credential: RegistrationCredential;
  versionId: string;
  /** True for an AWSPENDING version: a new secret (or client) not yet proven and promoted. */
  pending: boolean;
}

/**
 * The server changed credentials and the broker could not store them. If the change held a new
 * registration access token and the server revoked the old one (Keycloak, sandbox `rotating-rat`),
 * management of the client is lost: the caller must say so, not carry on.
 */
export class CredentialSaveError extends Error {
  constructor(
    readonly lostRegistrationAccessToken: boolean,
    cause: unknown,
  ) {
    super('could not store credentials the server just issued', { cause });
    this.name = 'CredentialSaveError';
  }
}

/**
 * Delays between in-process retries of a save to the local store: the new value exists only in
 * memory until it lands. Secrets Manager requests are retried by the SDK's standard strategy
 * already (`createSecretsManagerClient`); retrying them here too would multiply the attempts
 * (4 × 3) and the write rate the account sees, so the AWS store gets no retries of ours.
 */
const SAVE_RETRY_DELAYS_MS: Record<SecretStore['backend'], readonly number[]> = {
  local: [100, 500, 2_000],
  aws: [],
};

/**
 * Reads and writes the credential of one registration in the secret store, following Secrets
 * Manager's staged rotation: AWSCURRENT is what the broker serves, AWSPENDING a new secret under
 * test, AWSPREVIOUS the one before (kept for the overlap). The row's `credentialVersion` names
 * the served version.
 */
@Injectable()
export class RegistrationCredentialVault {
  private readonly logger = new Logger(RegistrationCredentialVault.name);

  constructor(
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    private readonly registrations: RegistrationRepository,
  ) {}

  /** The version the row serves to the tenant (readCredentials). */
  async served(registration: Registration): Promise<LoadedCredential | null> {
    if (!registration.credential) return null;
    const stored = await this.secrets.get(registration.credential.name, {
      versionId: registration.credential.versionId,
    });
    return stored && { credential: openCredential(stored.value), versionId: stored.versionId, pending: false };
  }

  /**
   * The newest credential of the registration's current client, for RFC 7592 calls. A pending
   * version of the SAME client wins (an unfinished rotation: it holds the newest registration
   * access token); otherwise AWSCURRENT, which may be newer than the row if a worker died after
   * storing a rotated token and before moving the row.
   */
  async latest(registration: Registration): Promise<LoadedCredential | null> {
    if (!registration.credential) return null;
    const { name } = registration.credential;
    const [pending, current] = await Promise.all([
      this.secrets.get(name, { stage: 'AWSPENDING' }),
      this.secrets.get(name, { stage: 'AWSCURRENT' }),
    ]);
    if (pending) {
      const credential = openCredential(pending.value);
      if (credential.clientId === registration.clientId)
        return { credential, versionId: pending.versionId, pending: true };
    }
    return current ? { credential: openCredential(current.value), versionId: current.versionId, pending: false } : null;
  }

  /** A pending version for ANOTHER client: a re-registration that stopped before switching over. */
  async pendingReplacement(registration: Registration): Promise<LoadedCredential | null> {
    if (!registration.credential) return null;
    const pending = await this.secrets.get(registration.credential.name, { stage: 'AWSPENDING' });
    if (!pending) return null;
    const credential = openCredential(pending.value);
    return credential.clientId === registration.clientId
      ? null
      : { credential, versionId: pending.versionId, pending: true };
  }

  /** Stages a brand-new credential (a re-registration's client) as AWSPENDING. */
  stage(name: string, credential: RegistrationCredential, requestToken: string): Promise<SecretRef> {
    return this.putWithRetry(name, credential, requestToken, 'AWSPENDING');
  }

  promote(name: string, versionId: string): Promise<void> {
    return this.secrets.promote(name, versionId);
  }

  delete(name: string): Promise<void> {
    return this.secrets.delete(name);
  }

  /**
   * Returns the `onCredentialsChanged` callback for one RFC 7592 operation. Each change is
   * stored before the callback returns, i.e. before the smart-client sends its next request:
   * - a new registration access token alone: a new AWSCURRENT version (the secret in it did
   *   not change, so the served credential stays valid) and the row follows at once;
   * - a new client secret: AWSPENDING, to be tested and promoted by the caller. Any later
   *   change in the same operation also goes to a pending version, which then holds the newest
   *   token.
   * `requestTokenPrefix` (an attempt id) makes retried writes idempotent.
   */
  absorber(registration: Registration, base: LoadedCredential, requestTokenPrefix: string): CredentialAbsorber {
    return new CredentialAbsorber(this, registration, base, requestTokenPrefix);
  }

  /** @internal used by CredentialAbsorber */
  saveChange(
    registration: Registration,
    credential: RegistrationCredential,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
  ): Promise<SecretRef> {
    return this.putWithRetry(registration.credential!.name, credential, requestToken, stage);
  }

  /** Points the row at a new AWSCURRENT version (a rotated registration access token). */
  serve(registration: Registration, versionId: string): Promise<void> {
    return this.registrations.setCredentialVersion(registration.tenantId, registration.id, versionId);
  }

  private async putWithRetry(
    name: string,
    credential: RegistrationCredential,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
  ): Promise<SecretRef> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.secrets.put(name, sealCredential(credential), { requestToken, stage });
      } catch (error) {
        const delay = SAVE_RETRY_DELAYS_MS[this.secrets.backend][attempt];
        if (delay === undefined) throw error;
        // Same request token: if the failed write did land, the retry is a no-op.
        this.logger.warn(
          { secret: name, attempt: attempt + 1, err: error },
          'storing a credential failed; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** Follows one RFC 7592 operation's credential changes; see `RegistrationCredentialVault.absorber`. */
export class CredentialAbsorber {
  credential: RegistrationCredential;
  /** Version of the last write, and whether it is pending. */
  latestVersion: { versionId: string; pending: boolean };
  private writes = 0;

  constructor(
    private readonly vault: RegistrationCredentialVault,
    private readonly registration: Registration,
    base: LoadedCredential,
    private readonly requestTokenPrefix: string,
  ) {
    this.credential = base.credential;
    this.latestVersion = { versionId: base.versionId, pending: base.pending };
  }

  /** True once a new client secret was stored as pending in this operation (or before it). */
  get hasPendingSecret(): boolean {
    return this.latestVersion.pending;
  }

  readonly onCredentialsChanged = async (change: CredentialsChange): Promise<void> => {
    const next: RegistrationCredential = {
      ...this.credential,
      ...(change.clientSecret && {
        clientSecret: change.clientSecret,
        clientSecretExpiresAt: change.clientSecretExpiresAt,
      }),
      ...(this.credential.management && {
        management: {
          registrationClientUri: change.registrationClientUri ?? this.credential.management.registrationClientUri,
          registrationAccessToken: change.registrationAccessToken ?? this.credential.management.registrationAccessToken,
        },
      }),
    };
    const stage = change.clientSecret || this.latestVersion.pending ? 'AWSPENDING' : 'AWSCURRENT';
    this.writes += 1;
    let ref: SecretRef;
    try {
      ref = await this.vault.saveChange(this.registration, next, `${this.requestTokenPrefix}.${this.writes}`, stage);
    } catch (error) {
      throw new CredentialSaveError(change.registrationAccessToken !== undefined, error);
    }
    this.credential = next;
    this.latestVersion = { versionId: ref.versionId, pending: stage === 'AWSPENDING' };
    // Stored: from here a crash loses nothing (`latest()` reads AWSCURRENT, not the row).
    if (stage === 'AWSCURRENT') await this.vault.serve(this.registration, ref.versionId);
  };
}
