import { SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_STORE_CANARY, type SecretStoreCanary } from '#secrets';
import { FakeSecretsManager } from '../libs/secrets/src/testing/fake-secrets-manager.js';
import { startApi, type ApiHarness } from './support/api-harness.js';

/**
 * Fail fast on misconfiguration (AWS mode, Secrets Manager faked at its API; PostgreSQL and Redis
 * real): the API does not start while the canary fails, and readiness answers 503 with the reason.
 */
const AWS = { SECRETS_BACKEND: 'aws', AWS_REGION: 'us-east-1' };
const awsError = (name: string) =>
  new SecretsManagerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });

describe('secret store canary (API)', () => {
  const fake = new FakeSecretsManager();
  const mock = mockClient(SecretsManagerClient);
  let api: ApiHarness | undefined;

  beforeAll(() => fake.install(mock));
  afterEach(async () => {
    fake.outage = null;
    fake.clearFaults();
    await api?.close();
    api = undefined;
  });
  afterAll(() => mock.restore());

  it('stops start-up with a message naming the missing permission', async () => {
    fake.failNext('CreateSecret', awsError('AccessDeniedException'));

    await expect(startApi(AWS)).rejects.toThrow(
      /secret store canary failed: write failed \(AccessDeniedException\): the broker needs secretsmanager:CreateSecret and secretsmanager:PutSecretValue/,
    );
  }, 60_000);

  it('stops start-up when the KMS key is disabled', async () => {
    fake.failNext('CreateSecret', awsError('KMSDisabledException'));

    await expect(startApi(AWS)).rejects.toThrow(
      /KMSDisabledException\): the KMS key \(SECRETS_KMS_KEY_ID\) is disabled/,
    );
  }, 60_000);

  it('answers readiness from the cached canary: 200 while it passes, 503 with the reason once it fails', async () => {
    api = await startApi(AWS);
    const writesAfterStart = fake.writes.length;

    const ready = await api.http().get('/health/ready').expect(200);
    expect(ready.body.checks.secretStore).toEqual({ status: 'up' });
    await api.http().get('/health/ready').expect(200);
    expect(fake.writes).toHaveLength(writesAfterStart); // probes reuse the start-up result

    // The next check (when the cached pass expires) meets a key that was disabled since.
    fake.outage = awsError('KMSDisabledException');
    await api.app.get<SecretStoreCanary>(SECRET_STORE_CANARY).check();

    const down = await api.http().get('/health/ready').expect(503);
    expect(down.body.status).toBe('down');
    expect(down.body.checks.secretStore).toEqual({
      status: 'down',
      error: expect.stringMatching(/KMSDisabledException/),
    });
  }, 60_000);

  it('runs no canary in local mode', async () => {
    api = await startApi({ SECRETS_BACKEND: 'local' });
    const writes = fake.writes.length;

    const ready = await api.http().get('/health/ready').expect(200);

    expect(ready.body.checks.secretStore).toBeUndefined();
    expect(fake.writes).toHaveLength(writes);
  }, 60_000);
});
