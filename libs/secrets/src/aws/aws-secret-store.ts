import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import {
  DomainError,
  NotFoundError,
  SecretValue,
  type PutSecretOptions,
  type SecretRef,
  type SecretStage,
  type SecretStore,
  type StoredSecret,
} from '#domain';
import type { BrokerConfig } from '#config';
import { SecretRequestTokenReusedError, SecretStoreUnavailableError } from '../errors.js';
import {
  SECRET_NAME_MAX_LENGTH,
  assertValidRequestToken,
  assertValidSecretName,
  assertValidSecretValue,
} from '../secret-input.js';
import type { WriteRateLimiter } from '../rate-limit/write-rate-limiter.js';
import { awsErrorReason, isTransientAwsError } from './retry.js';
import { addWriteRateLimit } from './write-rate-middleware.js';

type Operation = 'put' | 'get' | 'promote' | 'delete';

export interface AwsSecretStoreOptions {
  client: SecretsManagerClient;
  /** Prepended to every name (`SECRETS_NAME_PREFIX`), e.g. `smart-broker/`. */
  namePrefix?: string;
  /** KMS key for new secrets; Secrets Manager's `aws/secretsmanager` key when absent. */
  kmsKeyId?: string;
  /** Days a deleted secret can still be restored (7 to 30, AWS default 30); 0 deletes at once. */
  recoveryWindowInDays?: number;
}

/** Retries of one request, the first included: the SDK's standard strategy (jittered backoff, retry quota). */
export const SECRETS_MANAGER_MAX_ATTEMPTS = 3;
/** A store that does not accept a connection in this long is treated as down. */
export const SECRETS_MANAGER_CONNECTION_TIMEOUT_MS = 3_000;
/** Per try; a hung request must not hold a job (and a site's 201 waiting to be stored) forever. */
export const SECRETS_MANAGER_REQUEST_TIMEOUT_MS = 10_000;

export interface SecretsManagerClientOptions {
  /** One permit per write request, retries included (see `addWriteRateLimit`); none when absent. */
  writeRateLimiter?: WriteRateLimiter;
  /** Tests: where requests go instead of the network (an in-process Secrets Manager). */
  requestHandler?: SecretsManagerClientConfig['requestHandler'];
  /** Tests: static credentials instead of the default provider chain. */
  credentials?: SecretsManagerClientConfig['credentials'];
}

/**
 * Creates the SDK client. Retries are the SDK's standard strategy (exponential backoff with
 * jitter, a client-side retry quota that stops retry storms, throttling and transient errors
 * classified by the SDK) and nothing else retries Secrets Manager requests on top of it.
 * Connection and request timeouts bound each try. With a write rate limiter, every write request
 * (each try) waits for a permit.
 */
export function createSecretsManagerClient(
  aws: BrokerConfig['secrets']['aws'],
  options: SecretsManagerClientOptions = {},
): SecretsManagerClient {
  const client = new SecretsManagerClient({
    region: aws.region,
    endpoint: aws.endpoint,
    retryMode: 'standard',
    maxAttempts: SECRETS_MANAGER_MAX_ATTEMPTS,
    requestHandler: options.requestHandler ?? {
      connectionTimeout: SECRETS_MANAGER_CONNECTION_TIMEOUT_MS,
      requestTimeout: SECRETS_MANAGER_REQUEST_TIMEOUT_MS,
    },
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  if (options.writeRateLimiter) addWriteRateLimit(client, options.writeRateLimiter);
  return client;
}

/**
 * `SecretStore` on AWS Secrets Manager. Versions, stage labels and idempotency are the service's
 * own: the `requestToken` is sent as `ClientRequestToken` and becomes the version id.
 */
export class AwsSecretStore implements SecretStore {
  readonly backend = 'aws' as const;
  readonly #client: SecretsManagerClient;
  readonly #prefix: string;
  readonly #kmsKeyId?: string;
  readonly #recoveryWindowInDays: number;

  constructor(options: AwsSecretStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.namePrefix ?? '';
    if (this.#prefix) assertValidSecretName(this.#prefix);
    this.#kmsKeyId = options.kmsKeyId;
    this.#recoveryWindowInDays = options.recoveryWindowInDays ?? 30;
    const window = this.#recoveryWindowInDays;
    if (window !== 0 && !(Number.isInteger(window) && window >= 7 && window <= 30)) {
      throw new Error('recoveryWindowInDays must be 0 (no recovery) or an integer from 7 to 30');
    }
  }

  async put(name: string, value: SecretValue, options: PutSecretOptions): Promise<SecretRef> {
    const secretId = this.#secretId(name);
    assertValidRequestToken(options.requestToken);
    assertValidSecretValue(value);
    const stage = options.stage ?? 'AWSCURRENT';
    return this.#run('put', name, async () => {
      // The first version of a new secret is created with the secret when it is to be current
      // (one write instead of two); a pending first version needs an empty secret first.
      // The version id is the request token we sent (ClientRequestToken becomes VersionId).
      const created = await this.#createSecret(secretId, options, stage === 'AWSCURRENT' ? value : undefined);
      if (created) return { name, versionId: options.requestToken };
      try {
        await this.#send((client) =>
          client.send(
            new PutSecretValueCommand({
              SecretId: secretId,
              ClientRequestToken: options.requestToken,
              SecretString: value.reveal(),
              VersionStages: [stage],
            }),
          ),
        );
        return { name, versionId: options.requestToken };
      } catch (error) {
        // PutSecretValue: a version with this token but another value already exists.
        if (errorName(error) === 'ResourceExistsException') throw new SecretRequestTokenReusedError(name);
        throw error;
      }
    });
  }

  async get(name: string, selector: { versionId?: string; stage?: SecretStage } = {}): Promise<StoredSecret | null> {
    const secretId = this.#secretId(name);
    return this.#run('get', name, async () => {
      try {
        const output = await this.#send((client) =>
          client.send(
            new GetSecretValueCommand(
              selector.versionId
                ? { SecretId: secretId, VersionId: selector.versionId }
                : { SecretId: secretId, VersionStage: selector.stage ?? 'AWSCURRENT' },
            ),
          ),
        );
        const stages = (output.VersionStages ?? []) as SecretStage[];
        if (selector.versionId && selector.stage && !stages.includes(selector.stage)) return null;
        if (output.SecretString === undefined || !output.VersionId) {
          throw new SecretStoreUnavailableError({
            backend: 'aws',
            operation: 'get',
            secretName: name,
            retryable: false,
            reason: 'secret has no SecretString (binary secrets are not written by the broker)',
          });
        }
        return { value: new SecretValue(output.SecretString), versionId: output.VersionId, stages };
      } catch (error) {
        if (await this.#isGone(secretId, error)) return null;
        throw error;
      }
    });
  }

  async promote(name: string, versionId: string): Promise<void> {
    const secretId = this.#secretId(name);
    await this.#run('promote', name, async () => {
      const versions = await this.#versionStages(secretId);
      const stages = versions?.[versionId];
      if (!versions || !stages) throw new NotFoundError('secret version', `${name}@${versionId}`);
      if (!stages.includes('AWSCURRENT')) {
        const currentId = Object.keys(versions).find((id) => versions[id]?.includes('AWSCURRENT'));
        // Moving AWSCURRENT makes Secrets Manager put AWSPREVIOUS on the version that held it.
        await this.#send((client) =>
          client.send(
            new UpdateSecretVersionStageCommand({
              SecretId: secretId,
              VersionStage: 'AWSCURRENT',
              MoveToVersionId: versionId,
              RemoveFromVersionId: currentId,
            }),
          ),
        );
      }
      if (stages.includes('AWSPENDING')) {
        // The rotation is over: clear AWSPENDING so "is a rotation pending?" reads false again.
        await this.#send((client) =>
          client.send(
            new UpdateSecretVersionStageCommand({
              SecretId: secretId,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: versionId,
            }),
          ),
        );
      }
    });
  }

  async delete(name: string): Promise<void> {
    const secretId = this.#secretId(name);
    await this.#run('delete', name, async () => {
      try {
        await this.#send((client) =>
          client.send(
            new DeleteSecretCommand(
              this.#recoveryWindowInDays === 0
                ? { SecretId: secretId, ForceDeleteWithoutRecovery: true }
                : { SecretId: secretId, RecoveryWindowInDays: this.#recoveryWindowInDays },
            ),
          ),
        );
      } catch (error) {
        if (!(await this.#isGone(secretId, error))) throw error;
      }
    });
  }

  /**
   * CreateSecret; returns the new version id, or undefined when the secret already existed (the
   * caller then writes a version with PutSecretValue). A secret still in its recovery window after
   * a delete is restored first, since its name cannot be reused before the window ends.
   */
  async #createSecret(secretId: string, options: PutSecretOptions, value?: SecretValue): Promise<boolean> {
    try {
      await this.#send((client) =>
        client.send(
          new CreateSecretCommand({
            Name: secretId,
            KmsKeyId: this.#kmsKeyId,
            Description: options.description,
            Tags: options.tags ? Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
            ...(value ? { ClientRequestToken: options.requestToken, SecretString: value.reveal() } : {}),
          }),
        ),
      );
      return value !== undefined;
    } catch (error) {
      // Another writer (or an earlier attempt of this one) created it: fine, PutSecretValue follows.
      if (errorName(error) === 'ResourceExistsException') return false;
      if (!(await this.#isScheduledForDeletion(secretId, error))) throw error;
      await this.#send((client) => client.send(new RestoreSecretCommand({ SecretId: secretId })));
      return false;
    }
  }

  /**
   * Secrets Manager answers reads and creates of a secret in its recovery window with
   * InvalidRequestException, a name it also uses for other invalid requests. Its message is not a
   * contract, so ask: DescribeSecret carries `DeletedDate` for a secret scheduled for deletion.
   */
  async #isScheduledForDeletion(secretId: string, error: unknown): Promise<boolean> {
    if (errorName(error) !== 'InvalidRequestException') return false;
    try {
      const described = await this.#send((client) => client.send(new DescribeSecretCommand({ SecretId: secretId })));
      return described.DeletedDate !== undefined;
    } catch {
      return false; // the original error is the one worth reporting
    }
  }

  /** The secret (or the requested version/stage) does not exist, or waits for its deletion. */
  async #isGone(secretId: string, error: unknown): Promise<boolean> {
    return errorName(error) === 'ResourceNotFoundException' || this.#isScheduledForDeletion(secretId, error);
  }

  async #versionStages(secretId: string): Promise<Record<string, string[]> | undefined> {
    try {
      const output = await this.#send((client) => client.send(new DescribeSecretCommand({ SecretId: secretId })));
      return output.VersionIdsToStages ?? {};
    } catch (error) {
      if (await this.#isGone(secretId, error)) return undefined;
      throw error;
    }
  }

  #secretId(name: string): string {
    assertValidSecretName(name, SECRET_NAME_MAX_LENGTH - this.#prefix.length);
    return this.#prefix + name;
  }

  /** Sends one request; the client's retry strategy has already retried what was worth retrying. */
  #send<T>(request: (client: SecretsManagerClient) => Promise<T>): Promise<T> {
    return request(this.#client);
  }

  /**
   * Domain errors pass through; AWS errors become `SecretStoreUnavailableError` whose reason is the
   * cause an operator can act on (`AccessDeniedException`, `KMSDisabledException`, `ECONNREFUSED`,
   * `TimeoutError`...), never the raw error object or a request body.
   */
  async #run<T>(operation: Operation, name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new SecretStoreUnavailableError({
        backend: 'aws',
        operation,
        secretName: name,
        retryable: isTransientAwsError(error),
        reason: awsErrorReason(error),
        httpStatus: (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode,
      });
    }
  }
}

function errorName(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}
