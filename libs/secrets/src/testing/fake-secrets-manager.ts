import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  UpdateSecretVersionStageCommand,
  type CreateSecretCommandInput,
  type SecretsManagerClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type DeleteSecretCommandInput,
  type DescribeSecretCommandInput,
  type GetSecretValueCommandInput,
  type PutSecretValueCommandInput,
  type RestoreSecretCommandInput,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { AwsStub } from 'aws-sdk-client-mock';
import { WRITE_OPERATIONS } from '../aws/write-rate-middleware.js';

export { WRITE_OPERATIONS };

/**
 * An in-memory Secrets Manager for tests, wired behind aws-sdk-client-mock. It models what the
 * stores rely on, as the API reference describes it: versions with staging labels (AWSCURRENT
 * moving makes the old one AWSPREVIOUS), ClientRequestToken idempotency, deletion with a recovery
 * window (reads and creates then fail with InvalidRequestException), and the error names.
 * `failNext` injects service errors in front of an operation; `outage` fails every call (a store
 * that is down: network error, missing permission, disabled KMS key...) until cleared; `writes`
 * logs the time of every write request, to check the rate the store sees.
 *
 * Two ways in. `install` answers commands behind aws-sdk-client-mock, which replaces the client's
 * `send`: quick, but the client's middleware never runs (no retries, no write permits).
 * `requestHandler` is the client's transport instead: the real SDK client runs its whole
 * middleware stack (retry strategy, write rate limit, signing, the JSON 1.1 protocol with its
 * `X-Amz-Target` header) and hands the serialized request to the fake, which answers like the
 * service. There, `writes` holds every request as AWS would count it, retries included; it is
 * in-process, so no network delay blurs the request times. Throttling injected with `failNext`
 * travels as a real 400 `ThrottlingException` that the SDK retries.
 *
 * Where AWS does something the stores might not expect, the fake does it too: the first version of
 * a secret gets AWSCURRENT even when written as AWSPENDING, and CreateSecret on a name scheduled
 * for deletion answers InvalidRequestException (its DescribeSecret carries DeletedDate).
 */
type Operation =
  | 'CreateSecret'
  | 'PutSecretValue'
  | 'GetSecretValue'
  | 'DescribeSecret'
  | 'UpdateSecretVersionStage'
  | 'DeleteSecret'
  | 'RestoreSecret';

interface FakeVersion {
  value: string;
  stages: string[];
}

interface FakeSecret {
  name: string;
  arn: string;
  kmsKeyId?: string;
  tags: { Key?: string; Value?: string }[];
  versions: Map<string, FakeVersion>;
  scheduledForDeletion: boolean;
}

const META = { $metadata: { httpStatusCode: 400 } };
const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";

export class FakeSecretsManager {
  readonly secrets = new Map<string, FakeSecret>();
  readonly #faults = new Map<Operation, unknown[]>();
  /** When set, every request fails with this error (before it is counted as a write). */
  outage: unknown = null;
  /** Every write request that reached the fake: operation and time (ms). */
  readonly writes: Array<{ operation: string; at: number }> = [];

  /** Routes every command of `mock` (from `mockClient(SecretsManagerClient)`) to this fake. */
  install(mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>): void {
    const route =
      <I>(operation: Operation) =>
      async (input: I) =>
        this.#call(operation, input);
    mock.on(CreateSecretCommand).callsFake(route<CreateSecretCommandInput>('CreateSecret'));
    mock.on(PutSecretValueCommand).callsFake(route<PutSecretValueCommandInput>('PutSecretValue'));
    mock.on(GetSecretValueCommand).callsFake(route<GetSecretValueCommandInput>('GetSecretValue'));
    mock.on(DescribeSecretCommand).callsFake(route<DescribeSecretCommandInput>('DescribeSecret'));
    mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake(route<UpdateSecretVersionStageCommandInput>('UpdateSecretVersionStage'));
    mock.on(DeleteSecretCommand).callsFake(route<DeleteSecretCommandInput>('DeleteSecret'));
    mock.on(RestoreSecretCommand).callsFake(route<RestoreSecretCommandInput>('RestoreSecret'));
  }

  /**
   * The transport of a real `SecretsManagerClient` (its `requestHandler` option): reads the
   * operation from `X-Amz-Target` (`secretsmanager.PutSecretValue`) and the JSON body, answers
   * with the service's JSON (dates as epoch seconds) or its error shape (`__type`, status 400).
   * An injected error without AWS metadata (a network error such as ECONNREFUSED) is thrown, as
   * the HTTP handler would.
   */
  requestHandler(): FakeRequestHandler {
    return {
      handle: async (request) => {
        const target = String(request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '');
        const operation = target.replace(/^secretsmanager\./, '') as Operation;
        const body =
          typeof request.body === 'string'
            ? request.body
            : new TextDecoder().decode(request.body as Uint8Array | undefined);
        try {
          const output = this.#call(operation, body ? JSON.parse(body) : {});
          return { response: jsonResponse(200, output) };
        } catch (error) {
          const { name, message, $metadata } = error as {
            name?: string;
            message?: string;
            $metadata?: { httpStatusCode?: number };
          };
          if (!$metadata?.httpStatusCode) throw error;
          return {
            response: jsonResponse(
              $metadata.httpStatusCode ?? 400,
              { __type: name, message },
              { 'x-amzn-errortype': name ?? '' },
            ),
          };
        }
      },
    };
  }

  #call(operation: Operation, input: unknown): object {
    if (this.outage) throw this.outage;
    if (WRITE_OPERATIONS.has(operation)) this.writes.push({ operation, at: Date.now() });
    const fault = this.#faults.get(operation)?.shift();
    if (fault) throw fault;
    switch (operation) {
      case 'CreateSecret':
        return this.#create(input as CreateSecretCommandInput);
      case 'PutSecretValue':
        return this.#put(input as PutSecretValueCommandInput);
      case 'GetSecretValue':
        return this.#get(input as GetSecretValueCommandInput);
      case 'DescribeSecret':
        return this.#describe(input as DescribeSecretCommandInput);
      case 'UpdateSecretVersionStage':
        return this.#moveStage(input as UpdateSecretVersionStageCommandInput);
      case 'DeleteSecret':
        return this.#delete(input as DeleteSecretCommandInput);
      case 'RestoreSecret':
        return this.#restore(input as RestoreSecretCommandInput);
      default:
        throw Object.assign(new Error(`The fake does not answer ${String(operation)}`), {
          name: 'UnknownOperationException',
          $metadata: { httpStatusCode: 400 },
        });
    }
  }

  /** Drops every fault queued with `failNext`. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** The next `errors.length` calls of `operation` fail with these errors, in order. */
  failNext(operation: Operation, ...errors: unknown[]): void {
    this.#faults.set(operation, [...(this.#faults.get(operation) ?? []), ...errors]);
  }

  #create(input: CreateSecretCommandInput): object {
    const name = input.Name!;
    const existing = this.secrets.get(name);
    if (existing?.scheduledForDeletion) {
      throw new InvalidRequestException({
        ...META,
        message: "You can't create this secret because a secret with this name is already scheduled for deletion.",
      });
    }
    if (existing) {
      const replay = input.ClientRequestToken ? existing.versions.get(input.ClientRequestToken) : undefined;
      if (replay && replay.value === input.SecretString) return this.#ref(existing, input.ClientRequestToken);
      throw new ResourceExistsException({
        ...META,
        message: `The operation failed because the secret ${name} already exists.`,
      });
    }
    const secret: FakeSecret = {
      name,
      arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
      kmsKeyId: input.KmsKeyId,
      tags: input.Tags ?? [],
      versions: new Map(),
      scheduledForDeletion: false,
    };
    this.secrets.set(name, secret);
    if (input.SecretString === undefined) return this.#ref(secret);
    const versionId = input.ClientRequestToken ?? randomUUID();
    secret.versions.set(versionId, { value: input.SecretString, stages: ['AWSCURRENT'] });
    return this.#ref(secret, versionId);
  }

  #put(input: PutSecretValueCommandInput): object {
    const secret = this.#live(input.SecretId!);
    const versionId = input.ClientRequestToken ?? randomUUID();
    const existing = secret.versions.get(versionId);
    if (existing) {
      if (existing.value === input.SecretString)
        return { ...this.#ref(secret, versionId), VersionStages: existing.stages };
      throw new ResourceExistsException({ ...META, message: 'A resource with the ID you requested already exists.' });
    }
    // AWS: "If this operation creates the first version for the secret then Secrets Manager
    // automatically attaches the staging label AWSCURRENT to the new version."
    const first = secret.versions.size === 0;
    secret.versions.set(versionId, { value: input.SecretString!, stages: [] });
    const stages = new Set(input.VersionStages ?? ['AWSCURRENT']);
    if (first) stages.add('AWSCURRENT');
    for (const stage of stages) this.#attach(secret, stage, versionId);
    return { ...this.#ref(secret, versionId), VersionStages: secret.versions.get(versionId)!.stages };
  }

  #get(input: GetSecretValueCommandInput): object {
    const secret = this.#live(input.SecretId!);
    const versionId = input.VersionId ?? this.#holder(secret, input.VersionStage ?? 'AWSCURRENT');
    const version = versionId ? secret.versions.get(versionId) : undefined;
    if (!versionId || !version || (input.VersionStage && !version.stages.includes(input.VersionStage))) {
      throw new ResourceNotFoundException({
        ...META,
        message: "Secrets Manager can't find the specified secret value.",
      });
    }
    return { ...this.#ref(secret, versionId), SecretString: version.value, VersionStages: [...version.stages] };
  }

  #describe(input: DescribeSecretCommandInput): object {
    const secret = this.#existing(input.SecretId!);
    // Like the service, only versions that hold a label are listed (the others are deprecated).
    const labelled = [...secret.versions].filter(([, version]) => version.stages.length > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      KmsKeyId: secret.kmsKeyId,
      Tags: secret.tags,
      VersionIdsToStages: Object.fromEntries(labelled.map(([id, version]) => [id, [...version.stages]])),
      ...(secret.scheduledForDeletion ? { DeletedDate: new Date() } : {}),
    };
  }

  #moveStage(input: UpdateSecretVersionStageCommandInput): object {
    const secret = this.#live(input.SecretId!);
    const stage = input.VersionStage!;
    const holder = this.#holder(secret, stage);
    if (input.MoveToVersionId && !secret.versions.has(input.MoveToVersionId)) {
      throw new ResourceNotFoundException({
        ...META,
        message: "Secrets Manager can't find the specified secret version.",
      });
    }
    if (holder && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({
        ...META,
        message: `The staging label ${stage} is currently attached to version ${holder}; specify it in RemoveFromVersionId.`,
      });
    }
    if (input.RemoveFromVersionId) {
      const version = secret.versions.get(input.RemoveFromVersionId);
      if (!version?.stages.includes(stage)) {
        throw new InvalidParameterException({ ...META, message: `Version does not hold the staging label ${stage}.` });
      }
      version.stages = version.stages.filter((label) => label !== stage);
    }
    if (input.MoveToVersionId) {
      secret.versions.get(input.MoveToVersionId)!.stages.push(stage);
      if (stage === 'AWSCURRENT' && holder && holder !== input.MoveToVersionId)
        this.#attach(secret, 'AWSPREVIOUS', holder);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  #delete(input: DeleteSecretCommandInput): object {
    const secret = this.#existing(input.SecretId!);
    if (secret.scheduledForDeletion) throw new InvalidRequestException({ ...META, message: MARKED_FOR_DELETION });
    if (input.ForceDeleteWithoutRecovery) this.secrets.delete(secret.name);
    else secret.scheduledForDeletion = true;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date() };
  }

  #restore(input: RestoreSecretCommandInput): object {
    const secret = this.#existing(input.SecretId!);
    secret.scheduledForDeletion = false;
    return { ARN: secret.arn, Name: secret.name };
  }

  /** Puts `stage` on `versionId`, taking it from its holder; moving AWSCURRENT leaves AWSPREVIOUS behind. */
  #attach(secret: FakeSecret, stage: string, versionId: string): void {
    const holder = this.#holder(secret, stage);
    if (holder === versionId) return;
    if (holder) {
      const old = secret.versions.get(holder)!;
      old.stages = old.stages.filter((label) => label !== stage);
    }
    secret.versions.get(versionId)!.stages.push(stage);
    if (stage === 'AWSCURRENT' && holder) this.#attach(secret, 'AWSPREVIOUS', holder);
  }

  #holder(secret: FakeSecret, stage: string): string | undefined {
    return [...secret.versions].find(([, version]) => version.stages.includes(stage))?.[0];
  }

  #existing(secretId: string): FakeSecret {
    const secret = this.secrets.get(secretId);
    if (!secret)
      throw new ResourceNotFoundException({ ...META, message: "Secrets Manager can't find the specified secret." });
    return secret;
  }

  #live(secretId: string): FakeSecret {
    const secret = this.#existing(secretId);
    if (secret.scheduledForDeletion) throw new InvalidRequestException({ ...META, message: MARKED_FOR_DELETION });
    return secret;
  }

  #ref(secret: FakeSecret, versionId?: string): object {
    return { ARN: secret.arn, Name: secret.name, ...(versionId ? { VersionId: versionId } : {}) };
  }
}

/** The part of the SDK's HttpHandler the client calls (`handle`); kept structural to need no extra package. */
export interface FakeRequestHandler {
  handle(request: {
    headers: Record<string, string | undefined>;
    body?: unknown;
  }): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>;
}

function jsonResponse(statusCode: number, payload: object, headers: Record<string, string> = {}) {
  // AWS JSON 1.1 sends timestamps as epoch seconds.
  const json = JSON.stringify(payload, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
  return {
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.1', ...headers },
    body: new TextEncoder().encode(json),
  };
}
