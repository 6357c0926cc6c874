import { SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSecretStore } from '../aws/aws-secret-store.js';
import { FakeSecretsManager } from '../testing/fake-secrets-manager.js';
import {
  CANARY_ABSENT_NAME,
  CANARY_SECRET_NAME,
  SecretStoreCanary,
  SecretStoreCanaryError,
} from './secret-store-canary.js';

const PREFIX = 'smart-broker/';

function setup() {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(client);
  const fake = new FakeSecretsManager();
  fake.install(mock);
  const store = new AwsSecretStore({ client, namePrefix: PREFIX });
  return { fake, store, restore: () => mock.restore() };
}

const awsError = (name: string) =>
  new SecretsManagerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });

describe('SecretStoreCanary (Secrets Manager fake)', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it('passes when the store writes, reads back and may delete; it deletes nothing', async () => {
    const canary = new SecretStoreCanary(env.store);

    await expect(canary.assertWorking()).resolves.toBeUndefined();
    await expect(canary.assertWorking()).resolves.toBeUndefined();

    const secret = env.fake.secrets.get(`${PREFIX}${CANARY_SECRET_NAME}`)!;
    expect(secret.scheduledForDeletion).toBe(false);
    expect(env.fake.secrets.has(`${PREFIX}${CANARY_ABSENT_NAME}`)).toBe(false);
    expect(env.fake.writes.map((write) => write.operation)).toEqual([
      'CreateSecret',
      'DeleteSecret',
      'CreateSecret',
      'PutSecretValue',
      'DeleteSecret',
    ]);
  });

  it('names the missing permission when PutSecretValue is denied', async () => {
    const canary = new SecretStoreCanary(env.store);
    await canary.assertWorking(); // the canary secret exists: the next write is a PutSecretValue
    env.fake.failNext('PutSecretValue', awsError('AccessDeniedException'));

    const error = await canary.assertWorking().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretStoreCanaryError);
    expect((error as Error).message).toMatch(/write failed \(AccessDeniedException\)/);
    expect((error as Error).message).toMatch(/secretsmanager:PutSecretValue/);
  });

  it('names the KMS problem when the key is disabled', async () => {
    env.fake.failNext('CreateSecret', awsError('KMSDisabledException'));

    const result = await new SecretStoreCanary(env.store).check();

    expect(result).toMatchObject({ ok: false });
    expect(result.reason).toMatch(/KMSDisabledException.*KMS key \(SECRETS_KMS_KEY_ID\) is disabled/);
  });

  it('names kms:Decrypt when the read back fails, and DeleteSecret when the delete is denied', async () => {
    env.fake.failNext('GetSecretValue', awsError('AccessDeniedException'));
    const read = await new SecretStoreCanary(env.store).check();
    expect(read.reason).toMatch(/read failed \(AccessDeniedException\).*secretsmanager:GetSecretValue.*kms:Decrypt/);

    env.fake.failNext('DeleteSecret', awsError('AccessDeniedException'));
    const remove = await new SecretStoreCanary(env.store).check();
    expect(remove.reason).toMatch(/delete failed \(AccessDeniedException\).*secretsmanager:DeleteSecret/);
  });

  it('names the network cause when the store cannot be reached', async () => {
    env.fake.outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });

    const result = await new SecretStoreCanary(env.store).check();

    expect(result.reason).toMatch(/^write failed \(ECONNREFUSED\)/);
  });

  it('reuses a result for readiness probes: a pass for longer than a failure, one check for concurrent probes', async () => {
    let now = 1_000_000;
    const canary = new SecretStoreCanary(env.store, { successTtlMs: 60_000, failureTtlMs: 5_000, now: () => now });

    const [first, second] = await Promise.all([canary.status(), canary.status()]);
    expect(first).toBe(second);
    expect(first.ok).toBe(true);
    const writesAfterFirst = env.fake.writes.length;

    env.fake.outage = awsError('AccessDeniedException');
    now += 59_000;
    expect((await canary.status()).ok).toBe(true); // still fresh
    expect(env.fake.writes).toHaveLength(writesAfterFirst);

    now += 2_000;
    const failed = await canary.status();
    expect(failed.ok).toBe(false);
    env.fake.outage = null;
    now += 4_000;
    expect(await canary.status()).toBe(failed); // a failure is kept 5 s
    now += 2_000;
    expect((await canary.status()).ok).toBe(true);
  });
});
