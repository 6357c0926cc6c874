import type { SecretValue } from '../secret-value.js';

/** Version stages, named as AWS Secrets Manager names them; the local store uses the same. */
export type SecretStage = 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS';

export interface SecretRef {
  name: string;
  versionId: string;
}

export interface PutSecretOptions {
  /**
   * Idempotency token (Secrets Manager `ClientRequestToken`): the same token with the same
   * value is a no-op that returns the existing version; with another value it fails.
   */
  requestToken: string;
  /** `AWSCURRENT` (default) makes the new version current at once; `AWSPENDING` stages it for rotation. */
  stage?: 'AWSCURRENT' | 'AWSPENDING';
  tags?: Record<string, string>;
  description?: string;
}

export interface StoredSecret {
  value: SecretValue;
  versionId: string;
  stages: SecretStage[];
}

/**
 * Where credentials live. The database only ever holds a `SecretRef`. Implementations:
 * `local` (AES-256-GCM in PostgreSQL) and `aws` (Secrets Manager). Both pass the same
 * contract test suite (libs/secrets/src/secret-store.contract.ts).
 */
export interface SecretStore {
  readonly backend: 'local' | 'aws';
  /** Creates the secret if needed and writes a new version. */
  put(name: string, value: SecretValue, options: PutSecretOptions): Promise<SecretRef>;
  /** Reads a version by id or by stage (default `AWSCURRENT`); null when the secret or version does not exist. */
  get(name: string, selector?: { versionId?: string; stage?: SecretStage }): Promise<StoredSecret | null>;
  /** Moves `AWSCURRENT` to `versionId`; the version that held it becomes `AWSPREVIOUS`. Idempotent. */
  promote(name: string, versionId: string): Promise<void>;
  /** Deletes the secret (all versions). Idempotent: deleting a missing secret succeeds. */
  delete(name: string): Promise<void>;
}

export const SECRET_STORE = Symbol('SecretStore');
