import { Inject, Injectable, Logger } from '@nestjs/common';
import { SECRET_STORE, type Registration, type SecretRef, type SecretStore, type SecretValue } from '#domain';
import { RegistrationRepository } from '#persistence';
import { secretNames } from '#secrets';
import type { CredentialsChange, ManagementAccess } from '#smart-client';
import {
  holdsManagement,
  NO_MANAGEMENT_ENTRIES,
  openManagementEntries,
  sealManagementEntries,
  withManagementEntry,
  withNewestManagement,
  type ManagementEntries,
} from '../credentials/management-secret.js';
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
 *
 * A registration has two secrets (see `management-secret.ts`): the client secret's, whose
 * versions change only with the client secret, and the management secret, which takes every
 * later registration access token. Every credential read here comes back with the newest token
 * of its client, whichever secret holds it.
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
    const { name, versionId } = registration.credential;
    const [stored, entries] = await Promise.all([this.secrets.get(name, { versionId }), this.managementEntries(name)]);
    return stored && { credential: this.open(stored.value, entries), versionId: stored.versionId, pending: false };
  }

  /**
   * The newest credential of the registration's current client, for RFC 7592 calls. A pending
   * version of the SAME client wins (an unfinished rotation: it holds the newest client secret);
   * otherwise AWSCURRENT, which may be newer than the row if a worker died after storing it and
   * before moving the row.
   */
  async latest(registration: Registration): Promise<LoadedCredential | null> {
    if (!registration.credential) return null;
    const { name } = registration.credential;
    const [pending, current, entries] = await Promise.all([
      this.secrets.get(name, { stage: 'AWSPENDING' }),
      this.secrets.get(name, { stage: 'AWSCURRENT' }),
      this.managementEntries(name),
    ]);
    if (pending) {
      const credential = this.open(pending.value, entries);
      if (credential.clientId === registration.clientId)
        return { credential, versionId: pending.versionId, pending: true };
    }
    return current
      ? { credential: this.open(current.value, entries), versionId: current.versionId, pending: false }
      : null;
  }

  /** A pending version for ANOTHER client: a re-registration that stopped before switching over. */
  async pendingReplacement(registration: Registration): Promise<LoadedCredential | null> {
    if (!registration.credential) return null;
    const { name } = registration.credential;
    const pending = await this.secrets.get(name, { stage: 'AWSPENDING' });
    if (!pending) return null;
    const credential = this.open(pending.value, await this.managementEntries(name));
    return credential.clientId === registration.clientId
      ? null
      : { credential, versionId: pending.versionId, pending: true };
  }

  /**
   * Stages a brand-new credential (a re-registration's client) as AWSPENDING: one write, its
   * registration access token inside (see `management-secret.ts`).
   */
  stage(name: string, credential: RegistrationCredential, requestToken: string): Promise<SecretRef> {
    return this.putWithRetry(name, sealCredential(credential), requestToken, 'AWSPENDING');
  }

  promote(name: string, versionId: string): Promise<void> {
    return this.secrets.promote(name, versionId);
  }

  /**
   * Deletes both secrets of a registration. The management secret goes first: a failure between
   * the two leaves the client secret, which the caller's retry deletes, never a lone token.
   */
  async delete(name: string): Promise<void> {
    await this.secrets.delete(secretNames.managementOf(name));
    await this.secrets.delete(name);
  }

  /**
   * Returns the `onCredentialsChanged` callback for one RFC 7592 operation. Each change is
   * stored before the callback returns, i.e. before the smart-client sends its next request:
   * - a new registration access token: a new version of the management secret only (the client
   *   secret did not change, so neither does its secret nor the row);
   * - a new client secret: the token first (if it changed too), then the credential as
   *   AWSPENDING, to be tested and promoted by the caller.
   * `requestTokenPrefix` (an attempt id) makes retried writes idempotent.
   */
  absorber(registration: Registration, base: LoadedCredential, requestTokenPrefix: string): CredentialAbsorber {
    return new CredentialAbsorber(this, registration, base, requestTokenPrefix);
  }

  /** @internal used by CredentialAbsorber: a new client secret (with its newest token) as a new version. */
  saveChange(
    registration: Registration,
    credential: RegistrationCredential,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
  ): Promise<SecretRef> {
    return this.putWithRetry(registration.credential!.name, sealCredential(credential), requestToken, stage);
  }

  /**
   * @internal used by CredentialAbsorber: records `management` as the newest access of
   * `clientId` in the management secret (a new version), unless it already holds exactly that.
   */
  async saveManagement(
    registration: Registration,
    clientId: string,
    management: ManagementAccess,
    requestToken: string,
  ): Promise<void> {
    const name = secretNames.managementOf(registration.credential!.name);
    const entries = await this.managementEntries(registration.credential!.name);
    if (holdsManagement(entries, clientId, management)) return;
    const value = sealManagementEntries(withManagementEntry(entries, clientId, management));
    await this.putWithRetry(name, value, requestToken, 'AWSCURRENT', {
      'broker:tenant': registration.tenantId,
      'broker:registration': registration.id,
    });
  }

  /** Points the row at a new AWSCURRENT version of the client secret's secret. */
  serve(registration: Registration, versionId: string): Promise<void> {
    return this.registrations.setCredentialVersion(registration.tenantId, registration.id, versionId);
  }

  private async managementEntries(clientSecretName: string): Promise<ManagementEntries> {
    const stored = await this.secrets.get(secretNames.managementOf(clientSecretName));
    return stored ? openManagementEntries(stored.value) : NO_MANAGEMENT_ENTRIES;
  }

  private open(sealed: SecretValue, entries: ManagementEntries): RegistrationCredential {
    return withNewestManagement(openCredential(sealed), entries);
  }

  private async putWithRetry(
    name: string,
    value: SecretValue,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
    tags?: Record<string, string>,
  ): Promise<SecretRef> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.secrets.put(name, value, { requestToken, stage, ...(tags && { tags }) });
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
  /** Version of the last client-secret write (or the base), and whether it is pending. */
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

  /** True once the site answered with a new token, client URI or secret in this operation (each was stored). */
  get absorbedChanges(): boolean {
    return this.writes > 0;
  }

  /** True once a new client secret was stored as pending in this operation (or before it). */
  get hasPendingSecret(): boolean {
    return this.latestVersion.pending;
  }

  readonly onCredentialsChanged = async (change: CredentialsChange): Promise<void> => {
    const management = this.credential.management && {
      registrationClientUri: change.registrationClientUri ?? this.credential.management.registrationClientUri,
      registrationAccessToken: change.registrationAccessToken ?? this.credential.management.registrationAccessToken,
    };
    const next: RegistrationCredential = {
      ...this.credential,
      ...(change.clientSecret && {
        clientSecret: change.clientSecret,
        clientSecretExpiresAt: change.clientSecretExpiresAt,
      }),
      ...(management && { management }),
    };
    this.writes += 1;
    const requestToken = `${this.requestTokenPrefix}.${this.writes}`;
    let tokenStored = change.registrationAccessToken === undefined;
    try {
      // The token first: it is the one thing that cannot be had again if lost (the site may
      // have revoked the old one); a new secret can be rotated again with it.
      if (management && (change.registrationAccessToken || change.registrationClientUri)) {
        await this.vault.saveManagement(this.registration, next.clientId, management, `${requestToken}.m`);
      }
      tokenStored = true;
      if (change.clientSecret) {
        const ref = await this.vault.saveChange(this.registration, next, requestToken, 'AWSPENDING');
        this.latestVersion = { versionId: ref.versionId, pending: true };
      }
    } catch (error) {
      throw new CredentialSaveError(!tokenStored, error);
    }
    this.credential = next;
  };
}
