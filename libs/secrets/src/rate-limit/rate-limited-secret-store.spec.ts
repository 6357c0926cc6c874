import { randomUUID } from 'node:crypto';
import { ErrorCode, SecretValue, type SecretStore } from '#domain';
import { SecretStoreUnavailableError } from '../errors.js';
import { RateLimitedSecretStore } from './rate-limited-secret-store.js';
import type { WriteRateLimiter } from './write-rate-limiter.js';

/** Records the order of permits and store calls. */
function recorder() {
  const events: string[] = [];
  const limiter: WriteRateLimiter = { acquire: async () => void events.push('permit') };
  const inner: SecretStore = {
    backend: 'local',
    put: async (name) => (events.push('put'), { name, versionId: 'v1' }),
    get: async () => (events.push('get'), null),
    promote: async () => void events.push('promote'),
    delete: async () => void events.push('delete'),
  };
  return { events, limiter, inner };
}

describe('RateLimitedSecretStore', () => {
  it('takes a permit before every write and none for reads', async () => {
    const { events, limiter, inner } = recorder();
    const store = new RateLimitedSecretStore(inner, limiter);

    await store.put('n', new SecretValue('v'), { requestToken: randomUUID() });
    await store.get('n');
    await store.promote('n', 'v1');
    await store.delete('n');

    expect(events).toEqual(['permit', 'put', 'get', 'permit', 'promote', 'permit', 'delete']);
    expect(store.backend).toBe('local');
  });

  it('turns a limiter failure into a retryable secret_store_unavailable error and skips the write', async () => {
    const { events, inner } = recorder();
    const broken: WriteRateLimiter = {
      acquire: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
      },
    };
    const store = new RateLimitedSecretStore(inner, broken);

    const error = await store.delete('n').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretStoreUnavailableError);
    expect(error).toMatchObject({ code: ErrorCode.SecretStoreUnavailable, retryable: true });
    expect(events).toEqual([]);
  });
});
