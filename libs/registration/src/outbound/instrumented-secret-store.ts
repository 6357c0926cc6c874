import type { SecretStore } from '#domain';
import { inSpan, secretStoreCalls } from '#observability';

/**
 * Counts every secret store call by operation and result (`broker_secret_store_calls_total`)
 * and traces it as `secrets.<operation>` (backend and operation only: never a name's value).
 */
export function instrumentSecretStore(store: SecretStore): SecretStore {
  const count = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      const result = await inSpan(
        `secrets.${operation}`,
        { 'broker.secrets.backend': store.backend, 'broker.secrets.operation': operation },
        call,
      );
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
