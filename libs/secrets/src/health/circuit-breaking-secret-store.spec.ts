import { SecretValue, type SecretStore } from '#domain';
import { SecretDecryptionError, SecretStoreUnavailableError } from '../errors.js';
import { CircuitBreakingSecretStore, SECRET_STORE_PROBE_NAME } from './circuit-breaking-secret-store.js';

/** An inner store that fails with `failure` while it is set, and counts its calls. */
function innerStore() {
  const state = { failure: null as Error | null, calls: [] as string[] };
  const call = async <T>(what: string, result: T): Promise<T> => {
    state.calls.push(what);
    if (state.failure) throw state.failure;
    return result;
  };
  const store: SecretStore = {
    backend: 'aws',
    put: (name) => call(`put ${name}`, { name, versionId: 'v1' }),
    get: (name) => call(`get ${name}`, null),
    promote: (name) => call(`promote ${name}`, undefined),
    delete: (name) => call(`delete ${name}`, undefined),
  };
  return { store, state };
}

const down = (reason: string) =>
  new SecretStoreUnavailableError({ backend: 'aws', operation: 'put', secretName: 'x', retryable: true, reason });
const put = (store: SecretStore) =>
  store.put('n', new SecretValue('value-1234'), { requestToken: '0123456789abcdef0123456789abcdef' });

describe('CircuitBreakingSecretStore', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('opens after consecutive store failures, refuses calls without reaching the store, and names the cause', async () => {
    const { store, state } = innerStore();
    const breaker = new CircuitBreakingSecretStore(store, {
      failureThreshold: 2,
      openMs: 5_000,
      idleProbeMs: 60_000,
      now: clock,
    });
    state.failure = down('ECONNREFUSED');
    await expect(put(breaker)).rejects.toBeInstanceOf(SecretStoreUnavailableError);
    expect(await breaker.status()).toEqual({ available: true });
    await expect(put(breaker)).rejects.toBeInstanceOf(SecretStoreUnavailableError);

    const status = await breaker.status();
    expect(status).toMatchObject({ available: false, reason: 'ECONNREFUSED', retryInMs: 5_000 });
    const calls = state.calls.length;
    await expect(put(breaker)).rejects.toThrow(/circuit open: ECONNREFUSED/);
    expect(state.calls).toHaveLength(calls);
  });

  it('probes once the open time is over and closes when the store answers', async () => {
    const { store, state } = innerStore();
    const breaker = new CircuitBreakingSecretStore(store, {
      failureThreshold: 1,
      openMs: 5_000,
      idleProbeMs: 60_000,
      now: clock,
    });
    state.failure = down('KMSDisabledException');
    await expect(put(breaker)).rejects.toThrow();
    now += 5_000;
    // Still failing: the probe opens it again.
    expect(await breaker.status()).toMatchObject({ available: false, reason: 'KMSDisabledException' });
    state.failure = null;
    now += 5_000;
    const [a, b] = await Promise.all([breaker.status(), breaker.status()]);
    expect([a, b]).toEqual([{ available: true }, { available: true }]);
    expect(state.calls.filter((c) => c === `get ${SECRET_STORE_PROBE_NAME}`)).toHaveLength(2);
    await expect(put(breaker)).resolves.toEqual({ name: 'n', versionId: 'v1' });
  });

  it('finds an outage before any job fails: a status asked after an idle time probes first', async () => {
    const { store, state } = innerStore();
    const breaker = new CircuitBreakingSecretStore(store, {
      failureThreshold: 3,
      openMs: 5_000,
      idleProbeMs: 5_000,
      now: clock,
    });
    state.failure = down('AccessDeniedException');
    expect(await breaker.status()).toMatchObject({ available: false, reason: 'AccessDeniedException' });
    expect(state.calls).toEqual([`get ${SECRET_STORE_PROBE_NAME}`]);
  });

  it('does not count errors about one secret (decryption, not found) as store failures', async () => {
    const { store, state } = innerStore();
    const breaker = new CircuitBreakingSecretStore(store, {
      failureThreshold: 1,
      openMs: 5_000,
      idleProbeMs: 60_000,
      now: clock,
    });
    state.failure = new SecretDecryptionError('n', 'v1');
    await expect(put(breaker)).rejects.toBeInstanceOf(SecretDecryptionError);
    expect(await breaker.status()).toEqual({ available: true });
  });
});
