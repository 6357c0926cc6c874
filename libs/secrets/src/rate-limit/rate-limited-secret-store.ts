import type { PutSecretOptions, SecretRef, SecretStage, SecretStore, SecretValue, StoredSecret } from '#domain';
import { SecretStoreUnavailableError } from '../errors.js';
import type { WriteRateLimiter } from './write-rate-limiter.js';

/**
 * Puts a `WriteRateLimiter` in front of another store's writes (put, promote, delete); reads
 * pass straight through. One permit per call, which is one write transaction for the local
 * store. The AWS store is not wrapped: it counts every write request in SDK middleware instead
 * (`addWriteRateLimit`), since one call can cost several requests and retries.
 */
export class RateLimitedSecretStore implements SecretStore {
  readonly backend: SecretStore['backend'];

  constructor(
    private readonly inner: SecretStore,
    private readonly limiter: WriteRateLimiter,
  ) {
    this.backend = inner.backend;
  }

  async put(name: string, value: SecretValue, options: PutSecretOptions): Promise<SecretRef> {
    await this.#permit('put', name);
    return this.inner.put(name, value, options);
  }

  get(name: string, selector?: { versionId?: string; stage?: SecretStage }): Promise<StoredSecret | null> {
    return this.inner.get(name, selector);
  }

  async promote(name: string, versionId: string): Promise<void> {
    await this.#permit('promote', name);
    return this.inner.promote(name, versionId);
  }

  async delete(name: string): Promise<void> {
    await this.#permit('delete', name);
    return this.inner.delete(name);
  }

  async #permit(operation: 'put' | 'promote' | 'delete', name: string): Promise<void> {
    try {
      await this.limiter.acquire();
    } catch (error) {
      throw new SecretStoreUnavailableError({
        backend: this.backend,
        operation,
        secretName: name,
        retryable: true,
        reason: `write rate limiter failed: ${(error as Error | undefined)?.name ?? 'unknown error'}`,
      });
    }
  }
}
