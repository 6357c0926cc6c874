import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretValue, ValidationError } from '#domain';
import { SecretStoreUnavailableError } from '../errors.js';
import { describeSecretStoreContract } from '../secret-store.contract.js';
import { FakeSecretsManager } from '../testing/fake-secrets-manager.js';
import {
  AwsSecretStore,
  createSecretsManagerClient,
  SECRETS_MANAGER_MAX_ATTEMPTS,
  type AwsSecretStoreOptions,
  type SecretsManagerClientOptions,
} from './aws-secret-store.js';

const PREFIX = 'smart-broker/';

function setup(options: Partial<AwsSecretStoreOptions> = {}) {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(client);
  const fake = new FakeSecretsManager();
  fake.install(mock);
  const store = new AwsSecretStore({ client, namePrefix: PREFIX, ...options });
  return { client, mock, fake, store };
}

const awsError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  new SecretsManagerServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: name });

describeSecretStoreContract('AwsSecretStore (Secrets Manager fake)', async () => {
  const { store, mock } = setup();
  return { store, cleanup: async () => void mock.restore() };
});

/** The same fake as the real client's transport: the SDK's middleware and JSON 1.1 protocol run too. */
describeSecretStoreContract('AwsSecretStore (Secrets Manager fake behind the real SDK client)', async () => {
  const fake = new FakeSecretsManager();
  const client = createSecretsManagerClient(
    { region: 'us-east-1' },
    {
      requestHandler: fake.requestHandler() as SecretsManagerClientOptions['requestHandler'],
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    },
  );
  return { store: new AwsSecretStore({ client, namePrefix: PREFIX }), cleanup: async () => client.destroy() };
});

/**
 * The same contract against a real Secrets Manager-compatible endpoint, when one is given:
 * `SECRETS_CONTRACT_ENDPOINT=https://secretsmanager.eu-west-1.amazonaws.com` (or a LocalStack / Moto
 * URL) with the SDK's usual credentials and `AWS_REGION`. Secrets are written under a random
 * prefix and deleted without recovery afterwards. Skipped when the variable is not set.
 */
const contractEndpoint = process.env.SECRETS_CONTRACT_ENDPOINT;
if (contractEndpoint) {
  describeSecretStoreContract(`AwsSecretStore (real endpoint ${contractEndpoint})`, async () => {
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const client = createSecretsManagerClient({ region, endpoint: contractEndpoint });
    const store = new AwsSecretStore({
      client,
      namePrefix: `broker-contract-${randomUUID().slice(0, 8)}/`,
      recoveryWindowInDays: 0,
    });
    return { store, cleanup: async () => client.destroy() };
  });
} else {
  describe.skip('AwsSecretStore against a real endpoint (set SECRETS_CONTRACT_ENDPOINT)', () => {
    it('satisfies the SecretStore contract', () => undefined);
  });
}

describe('AwsSecretStore requests', () => {
  it('creates a new secret with the prefixed name, token, KMS key, tags and description', async () => {
    const { mock, store } = setup({ kmsKeyId: 'alias/broker' });
    const token = randomUUID();

    const ref = await store.put('tenants/t1/apps/a1/health-systems/h1/client', new SecretValue('s3cret-a'), {
      requestToken: token,
      tags: { tenant: 't1', purpose: 'client' },
      description: 'client credentials',
    });

    expect(ref).toEqual({ name: 'tenants/t1/apps/a1/health-systems/h1/client', versionId: token });
    const [call] = mock.commandCalls(CreateSecretCommand);
    expect(call?.args[0].input).toEqual({
      Name: 'smart-broker/tenants/t1/apps/a1/health-systems/h1/client',
      ClientRequestToken: token,
      SecretString: 's3cret-a',
      KmsKeyId: 'alias/broker',
      Description: 'client credentials',
      Tags: [
        { Key: 'tenant', Value: 't1' },
        { Key: 'purpose', Value: 'client' },
      ],
    });
    expect(mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('writes later versions with PutSecretValue, its token and the requested stage', async () => {
    const { mock, store } = setup();
    await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    const token = randomUUID();

    await store.put('n1', new SecretValue('v2'), { requestToken: token, stage: 'AWSPENDING' });

    const [call] = mock.commandCalls(PutSecretValueCommand);
    expect(call?.args[0].input).toEqual({
      SecretId: 'smart-broker/n1',
      ClientRequestToken: token,
      SecretString: 'v2',
      VersionStages: ['AWSPENDING'],
    });
  });

  it('creates an empty secret first when the first version is only pending', async () => {
    const { mock, store } = setup();
    await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID(), stage: 'AWSPENDING' });

    const create = mock.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(create).not.toHaveProperty('SecretString');
    expect(create).not.toHaveProperty('ClientRequestToken');
    expect(mock.commandCalls(PutSecretValueCommand)[0]?.args[0].input.VersionStages).toEqual(['AWSPENDING']);
  });

  it('promotes with MoveToVersionId and RemoveFromVersionId, then clears AWSPENDING', async () => {
    const { mock, store } = setup();
    const v1 = await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    const v2 = await store.put('n1', new SecretValue('v2'), { requestToken: randomUUID(), stage: 'AWSPENDING' });

    await store.promote('n1', v2.versionId);

    expect(mock.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      {
        SecretId: 'smart-broker/n1',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v2.versionId,
        RemoveFromVersionId: v1.versionId,
      },
      { SecretId: 'smart-broker/n1', VersionStage: 'AWSPENDING', RemoveFromVersionId: v2.versionId },
    ]);
  });

  it('deletes with a 30-day recovery window by default, or at once when configured with 0', async () => {
    const { mock, store } = setup();
    await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    await store.delete('n1');
    expect(mock.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: 'smart-broker/n1',
      RecoveryWindowInDays: 30,
    });

    const immediate = setup({ recoveryWindowInDays: 0 });
    await immediate.store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    await immediate.store.delete('n1');
    expect(immediate.mock.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: 'smart-broker/n1',
      ForceDeleteWithoutRecovery: true,
    });
    expect(immediate.fake.secrets.has('smart-broker/n1')).toBe(false);
  });

  it('restores a secret that waits for deletion before writing to it again', async () => {
    const { mock, store } = setup();
    await store.put('n1', new SecretValue('old'), { requestToken: randomUUID() });
    await store.delete('n1');

    await store.put('n1', new SecretValue('new'), { requestToken: randomUUID() });

    expect(mock.commandCalls(RestoreSecretCommand)).toHaveLength(1);
    expect((await store.get('n1'))?.value.reveal()).toBe('new');
  });

  it('counts the prefix in the 512-character name limit', async () => {
    const { store, mock } = setup();
    const name = 'a'.repeat(512 - PREFIX.length + 1);
    await expect(store.put(name, new SecretValue('v'), { requestToken: randomUUID() })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(mock.calls()).toHaveLength(0);
  });

  it('rejects a config whose recovery window Secrets Manager would refuse', () => {
    expect(() => setup({ recoveryWindowInDays: 3 })).toThrow(/recoveryWindowInDays/);
  });
});

describe('AwsSecretStore failures', () => {
  it('leaves retries to the SDK: one request per call, a failure names its cause and says whether it may pass', async () => {
    const { fake, mock, store } = setup();
    await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    fake.failNext('GetSecretValue', refused);
    fake.failNext('DeleteSecret', awsError('ThrottlingException', 400));
    fake.failNext('CreateSecret', awsError('KMSDisabledException', 400));

    const network = await store.get('n1').catch((e: unknown) => e);
    const throttled = await store.delete('n1').catch((e: unknown) => e);
    const kms = await store.put('n2', new SecretValue('v2'), { requestToken: randomUUID() }).catch((e: unknown) => e);

    expect(network).toMatchObject({ retryable: true, details: { reason: 'ECONNREFUSED' } });
    expect((network as Error).message).toContain('ECONNREFUSED');
    expect(throttled).toMatchObject({ retryable: true, details: { reason: 'ThrottlingException' } });
    expect(kms).toMatchObject({ retryable: false, details: { reason: 'KMSDisabledException' } });
    expect(mock.commandCalls(DeleteSecretCommand)).toHaveLength(1);
  });

  it('configures the SDK client with the standard retry strategy and timeouts', async () => {
    const client = createSecretsManagerClient({ region: 'eu-west-1' });
    expect(await client.config.maxAttempts()).toBe(SECRETS_MANAGER_MAX_ATTEMPTS);
    const mode = client.config.retryMode;
    expect(typeof mode === 'function' ? await mode() : mode).toBe('standard');
    const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    expect(await handler.configProvider).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000 });
    client.destroy();
  });

  it('tells a secret scheduled for deletion by DescribeSecret, not by the error message', async () => {
    const { fake, store } = setup();
    await store.put('n1', new SecretValue('v1'), { requestToken: randomUUID() });
    // The same words AWS uses for a deleted secret, on a secret that is not deleted: not "gone".
    fake.failNext(
      'GetSecretValue',
      new InvalidRequestException({
        $metadata: { httpStatusCode: 400 },
        message: "You can't perform this operation on the secret because it was marked for deletion.",
      }),
    );
    await expect(store.get('n1')).rejects.toBeInstanceOf(SecretStoreUnavailableError);

    await store.delete('n1');
    expect(await store.get('n1')).toBeNull();
  });

  it('does not retry AccessDeniedException and keeps the value out of the error', async () => {
    const { fake, mock, store } = setup();
    const value = new SecretValue('do-not-leak-7f3a');
    fake.failNext('CreateSecret', awsError('AccessDeniedException', 400));

    const error = await store.put('n1', value, { requestToken: randomUUID() }).catch((e: unknown) => e);

    expect(mock.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(error).toBeInstanceOf(SecretStoreUnavailableError);
    expect(error).toMatchObject({
      retryable: false,
      details: { backend: 'aws', operation: 'put', reason: 'AccessDeniedException', httpStatus: 400 },
    });
    const dump = `${String(error)} ${inspect(error, { depth: 10, showHidden: true })} ${JSON.stringify(error)}`;
    expect(dump).not.toContain(value.reveal());
  });

  it('writes a version with PutSecretValue when another worker created the secret first', async () => {
    const { client, mock, store } = setup();
    const otherWorker = new AwsSecretStore({ client, namePrefix: PREFIX });
    const theirs = await otherWorker.put('n1', new SecretValue('theirs'), { requestToken: randomUUID() });

    const ours = await store.put('n1', new SecretValue('ours'), { requestToken: randomUUID() });

    expect(mock.commandCalls(CreateSecretCommand)).toHaveLength(2);
    expect(mock.commandCalls(PutSecretValueCommand)).toHaveLength(1);
    expect((await store.get('n1'))?.versionId).toBe(ours.versionId);
    expect((await store.get('n1', { stage: 'AWSPREVIOUS' }))?.versionId).toBe(theirs.versionId);
  });
});
