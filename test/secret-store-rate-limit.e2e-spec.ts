import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '#config';
import { SecretValue } from '#domain';
import { createPrismaClient } from '#persistence';
import {
  AwsSecretStore,
  createSecretsManagerClient,
  createSecretStore,
  RedisWriteRateLimiter,
  secretWriteRateKeyPrefix,
  type SecretsManagerClientOptions,
  type WriteRateLimiter,
} from '#secrets';
import { FakeSecretsManager } from '../libs/secrets/src/testing/fake-secrets-manager.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The most events any one-second stretch holds: a sliding window over sorted times (ms). */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= 1000) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

describe('RedisWriteRateLimiter (token bucket on a real Redis)', () => {
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return redis;
  };
  const uniquePrefix = () => secretWriteRateKeyPrefix(`{test-${randomUUID()}}`);

  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.quit()));
  });

  it('never grants more than L permits in any one-second stretch, across workers on separate connections', async () => {
    // Fixed one-second windows failed this: a full window's grants at the end of one second and
    // another full window's at the start of the next.
    const keyPrefix = uniquePrefix();
    const workers = [connect(), connect(), connect()].map(
      (redis) => new RedisWriteRateLimiter(redis, { keyPrefix, writesPerSecond: 4 }),
    );
    const grants: number[] = [];

    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: 5 }, () => worker.acquire().then(() => grants.push(Date.now()))),
      ),
    );

    expect(grants).toHaveLength(15);
    expect(busiestSecond(grants)).toBeLessThanOrEqual(4);
    // 15 permits one refill interval apart (1.05 s / 4) span at least 14 intervals.
    expect(Math.max(...grants) - Math.min(...grants)).toBeGreaterThanOrEqual(14 * 250);
  }, 60_000);

  it('keeps its state in one hash under the hash-tagged prefix, with an expiry', async () => {
    const redis = connect();
    const keyPrefix = uniquePrefix();
    await new RedisWriteRateLimiter(redis, { keyPrefix, writesPerSecond: 5 }).acquire();

    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(await redis.type(keys[0]!)).toBe('hash');
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
  });

  it('the local store takes a permit from the same bucket for each write', async () => {
    const queuePrefix = `{test-${randomUUID()}}`;
    const config = loadConfig({
      OPERATOR_TOKEN: 'o'.repeat(32),
      LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
      SECRETS_BACKEND: 'local',
      QUEUE_PREFIX: queuePrefix,
    });
    // No database behind it: the write fails, after its permit was taken.
    const prisma = createPrismaClient('postgresql://postgres@127.0.0.1:1/none');
    const redis = connect();
    const store = createSecretStore(config, { prisma, redis });

    await store.put('n', new SecretValue('v'), { requestToken: randomUUID() }).catch(() => undefined);

    expect(await redis.exists(`${secretWriteRateKeyPrefix(queuePrefix)}bucket`)).toBe(1);
  });

  it('requires a hash-tagged prefix, so its key lands in the slot of the queue prefix on a cluster', () => {
    expect(
      () => new RedisWriteRateLimiter(connect(), { keyPrefix: 'broker:secrets:rate:', writesPerSecond: 5 }),
    ).toThrow(/hash tag/);
  });

  /*
   * Counted where the requests are seen. aws-sdk-client-mock (used by the store's unit specs)
   * replaces the client's `send`, so the middleware that takes the permits would never run. Here
   * the real SecretsManagerClient runs its whole middleware stack (standard retries, the write
   * permit, signing, JSON 1.1 serialization) and hands each request to the fake as its transport
   * (`FakeSecretsManager.requestHandler`), which logs every write request, retries included.
   */
  it('60 secret writes at 5/s through the AWS store: no second with more than 5 write requests at Secrets Manager, retries included', async () => {
    const fake = new FakeSecretsManager();
    const limiter = new RedisWriteRateLimiter(connect(), { keyPrefix: uniquePrefix(), writesPerSecond: 5 });
    let permits = 0;
    const counting: WriteRateLimiter = { acquire: () => limiter.acquire().then(() => void permits++) };
    const client = createSecretsManagerClient(
      { region: 'us-east-1' },
      {
        writeRateLimiter: counting,
        requestHandler: fake.requestHandler() as SecretsManagerClientOptions['requestHandler'],
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    );
    const store = new AwsSecretStore({ client, namePrefix: 'rate-test/' });
    const names = Array.from({ length: 20 }, (_, i) => `registration-${i}`);
    // Throttling the SDK retries: each retry is one more request, and must take its own permit.
    const throttled = () =>
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    fake.failNext('PutSecretValue', throttled(), throttled(), throttled());

    // 20 new secrets (CreateSecret each), then a pending version of each (CreateSecret answers
    // ResourceExistsException, then PutSecretValue): 60 write requests, plus 3 retries.
    await Promise.all(
      names.map((name) => store.put(name, new SecretValue(`first-${name}`), { requestToken: randomUUID() })),
    );
    await Promise.all(
      names.map((name) =>
        store.put(name, new SecretValue(`second-${name}`), { requestToken: randomUUID(), stage: 'AWSPENDING' }),
      ),
    );

    const requests = fake.writes.map((write) => write.at);
    expect(fake.writes.filter((w) => w.operation === 'CreateSecret')).toHaveLength(40);
    expect(fake.writes.filter((w) => w.operation === 'PutSecretValue')).toHaveLength(23);
    expect(permits).toBe(requests.length);
    expect(busiestSecond(requests)).toBeLessThanOrEqual(5);
    for (const name of names) {
      expect((await store.get(name, { stage: 'AWSPENDING' }))?.value.reveal()).toBe(`second-${name}`);
    }
  }, 120_000);
});
