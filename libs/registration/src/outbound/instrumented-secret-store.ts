import type { SecretStore } from '#domain';
import { secretStoreCalls } from '#observability';

/** Counts every secret store call by operation and result (`broker_secret_store_calls_total`). */
export function instrumentSecretStore(store: SecretStore): SecretStore {
  const count = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      secretStoreCalls.inc({ backend: store.backend, operation, result: 'ok' });
      return result;
    } catch (error) {
      secretStoreCalls.inc({ backend: store.backend, operation, result: 'error' });
      throw error;
    }
  };
  return {
    backend: store.backend,
    put: (name, value, options) => count('put', () => store.put(name, value, options)),
    get: (name, selector) => count('get', () => store.get(name, selector)),
    promote: (name, versionId) => count('promote', () => store.promote(name, versionId)),
    delete: (name) => count('delete', () => store.delete(name)),
  };
}
