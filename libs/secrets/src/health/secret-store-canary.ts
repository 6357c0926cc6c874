import { randomBytes, randomUUID } from 'node:crypto';
import { SecretValue, type SecretStore } from '#domain';
import { SecretStoreUnavailableError } from '../errors.js';

export const SECRET_STORE_CANARY = Symbol('SECRET_STORE_CANARY');

/** The secret the canary writes and reads back (under `SECRETS_NAME_PREFIX`, so the IAM policy covers it). */
export const CANARY_SECRET_NAME = 'broker-canary/write-check';
/** A name that never exists: deleting it proves `secretsmanager:DeleteSecret` without deleting anything. */
export const CANARY_ABSENT_NAME = 'broker-canary/never-exists';

/** What each step proves, in the words of the IAM policy an operator has to fix. */
const STEPS = {
  write: 'secretsmanager:CreateSecret and secretsmanager:PutSecretValue, and kms:GenerateDataKey on the KMS key',
  read: 'secretsmanager:GetSecretValue, and kms:Decrypt on the KMS key',
  delete: 'secretsmanager:DeleteSecret and secretsmanager:DescribeSecret',
} as const;
type Step = keyof typeof STEPS;

/** AWS error names that point at the KMS key rather than at IAM on Secrets Manager. */
const KMS_PROBLEMS: Record<string, string> = {
  KMSDisabledException: 'the KMS key (SECRETS_KMS_KEY_ID) is disabled',
  KMSInvalidStateException: 'the KMS key (SECRETS_KMS_KEY_ID) is pending deletion or not usable',
  KMSNotFoundException: 'the KMS key (SECRETS_KMS_KEY_ID) does not exist',
  KMSAccessDeniedException: 'the broker may not use the KMS key (SECRETS_KMS_KEY_ID)',
  EncryptionFailure: 'Secrets Manager could not encrypt with the KMS key (SECRETS_KMS_KEY_ID)',
  DecryptionFailure: 'Secrets Manager could not decrypt with the KMS key (SECRETS_KMS_KEY_ID)',
};

export interface CanaryResult {
  ok: boolean;
  /** Why the store is not usable, naming the permission or the KMS problem; absent when ok. */
  reason?: string;
  checkedAt: number;
}

export interface SecretStoreCanaryOptions {
  /** How long a passing check is reused by readiness probes (default 5 min: each check writes a version). */
  successTtlMs?: number;
  /** How long a failing check is reused (default 15 s, so a repair shows soon). */
  failureTtlMs?: number;
  now?: () => number;
}

/** Thrown at start-up when the canary fails: the process stops with this message. */
export class SecretStoreCanaryError extends Error {
  constructor(reason: string) {
    super(`secret store canary failed: ${reason}`);
    this.name = 'SecretStoreCanaryError';
  }
}

/**
 * Proves that the configured Secrets Manager works for the broker before it is trusted with a
 * site's credentials: a write (a new version of the canary secret: CreateSecret, then
 * PutSecretValue, and KMS encryption), a read of that version (KMS decryption) compared with what
 * was written, and a delete of a name that does not exist (the permission, without deleting). A
 * circuit breaker probe is a read only; a store that reads but refuses writes would otherwise let
 * every registration create a client at its site before the write failed.
 */
export class SecretStoreCanary {
  readonly #store: SecretStore;
  readonly #successTtlMs: number;
  readonly #failureTtlMs: number;
  readonly #now: () => number;
  #last: CanaryResult | null = null;
  #running: Promise<CanaryResult> | null = null;

  constructor(store: SecretStore, options: SecretStoreCanaryOptions = {}) {
    this.#store = store;
    this.#successTtlMs = options.successTtlMs ?? 5 * 60_000;
    this.#failureTtlMs = options.failureTtlMs ?? 15_000;
    this.#now = options.now ?? Date.now;
  }

  /** The last result while it is fresh, else a new check (one at a time: concurrent probes share it). */
  async status(): Promise<CanaryResult> {
    const last = this.#last;
    if (last && this.#now() - last.checkedAt < (last.ok ? this.#successTtlMs : this.#failureTtlMs)) return last;
    this.#running ??= this.check().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Start-up: throws `SecretStoreCanaryError` naming what is missing. */
  async assertWorking(): Promise<void> {
    const result = await this.check();
    if (!result.ok) throw new SecretStoreCanaryError(result.reason!);
  }

  /** Runs the three steps now. */
  async check(): Promise<CanaryResult> {
    const result = await this.#steps().then(
      () => ({ ok: true, checkedAt: this.#now() }),
      (failure: { step: Step; error: unknown }) => ({
        ok: false,
        reason: describe(failure.step, failure.error),
        checkedAt: this.#now(),
      }),
    );
    this.#last = result;
    return result;
  }

  async #steps(): Promise<void> {
    const value = randomBytes(16).toString('base64url');
    const requestToken = randomUUID();
    const step = async <T>(name: Step, action: () => Promise<T>): Promise<T> => {
      try {
        return await action();
      } catch (error) {
        throw { step: name, error };
      }
    };
    const written = await step('write', () =>
      this.#store.put(CANARY_SECRET_NAME, new SecretValue(value), {
        requestToken,
        description: 'Written by the SMART broker to check its permissions; holds no credential.',
      }),
    );
    const read = await step('read', () => this.#store.get(CANARY_SECRET_NAME, { versionId: written.versionId }));
    if (read?.value.reveal() !== value) {
      throw { step: 'read', error: new Error('the version just written reads back differently or not at all') };
    }
    await step('delete', () => this.#store.delete(CANARY_ABSENT_NAME));
  }
}

function describe(step: Step, error: unknown): string {
  const reason =
    error instanceof SecretStoreUnavailableError
      ? (error.details as { reason?: string }).reason
      : (error as Error | undefined)?.message;
  const kms = reason ? KMS_PROBLEMS[reason] : undefined;
  if (kms) return `${step} failed (${reason}): ${kms}`;
  if (reason === 'AccessDeniedException')
    return `${step} failed (AccessDeniedException): the broker needs ${STEPS[step]}`;
  return `${step} failed (${reason ?? 'unknown error'}); this step needs ${STEPS[step]}`;
}
