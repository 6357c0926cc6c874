import type { PutSecretOptions, SecretRef, SecretStage, SecretStore, SecretValue, StoredSecret } from '#domain';
import { SecretStoreUnavailableError, type SecretStoreFailure } from '../errors.js';

/** Whether the store can be expected to take a write now, and if not, why and when to look again. */
export type SecretStoreStatus =
  { available: true } | { available: false; reason: string; retryInMs: number; since: Date };

/**
 * Asked before anything that would leave a credential to store: a registration does not POST
 * to a site (and a lifecycle action does not start) while this says the store is failing.
 */
export interface SecretStoreHealth {
  status(): Promise<SecretStoreStatus>;
}

/** Nest injection token of the process's `SecretStoreHealth`. */
export const SECRET_STORE_HEALTH = Symbol('SecretStoreHealth');

export interface CircuitBreakerOptions {
  /** Consecutive store failures that open the circuit (a probe failure opens it at once). */
  failureThreshold: number;
  /** How long an open circuit refuses calls before a probe may close it. */
  openMs: number;
  /** A status asked after this long without any store call probes first, so an outage is seen before a POST. */
  idleProbeMs: number;
  now?: () => number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = {
  failureThreshold: 3,
  openMs: 5_000,
  idleProbeMs: 5_000,
};

/** The name the probe reads: it never exists, so a healthy store answers "not found". */
export const SECRET_STORE_PROBE_NAME = 'broker-health/probe';

/**
 * A circuit breaker around a secret store (either backend). Store failures (`SecretStoreUnavailableError`:
 * network, throttling, a missing IAM permission, a disabled KMS key, PostgreSQL down for the local
 * store) open it; while open, calls fail at once with the cause that opened it, and `status()` says
 * so, so no job sends a request to a site whose answer could not be stored. After `openMs` one probe
 * (a read of a name that does not exist) is let through: success closes the circuit.
 *
 * Errors that are about one secret (not found, decryption, a reused request token) say nothing about
 * the store's health and pass through without counting. The state is per process: every worker
 * learns of an outage from its own first failure or probe, which bounds probe traffic to one read
 * per `idleProbeMs` per process.
 */
export class CircuitBreakingSecretStore implements SecretStore, SecretStoreHealth {
  readonly backend: SecretStore['backend'];
  readonly #inner: SecretStore;
  readonly #options: Required<CircuitBreakerOptions>;
  #failures = 0;
  #openUntil = 0;
  #openedAt: Date | null = null;
  #cause: SecretStoreUnavailableError | null = null;
  #lastCallAt = 0;
  #probe: Promise<boolean> | null = null;

  constructor(inner: SecretStore, options: Partial<CircuitBreakerOptions> = {}) {
    this.#inner = inner;
    this.backend = inner.backend;
    this.#options = { now: Date.now, ...DEFAULT_CIRCUIT_BREAKER, ...options };
  }

  /**
   * The store behind the breaker, for a check that must neither trip nor reassure it (the secret
   * store canary): a canary that passed just before an outage must not let the next job skip its
   * probe, and a readiness check is not a job's failure.
   */
  get unguarded(): SecretStore {
    return this.#inner;
  }

  async status(): Promise<SecretStoreStatus> {
    const now = this.#options.now();
    if (this.#cause && now < this.#openUntil) return this.#unavailable(now);
    if (this.#cause || now - this.#lastCallAt >= this.#options.idleProbeMs) {
      const healthy = await this.#probeOnce();
      if (!healthy) return this.#unavailable(this.#options.now());
    }
    return { available: true };
  }

  put(name: string, value: SecretValue, options: PutSecretOptions): Promise<SecretRef> {
    return this.#guard('put', name, () => this.#inner.put(name, value, options));
  }

  get(name: string, selector?: { versionId?: string; stage?: SecretStage }): Promise<StoredSecret | null> {
    return this.#guard('get', name, () => this.#inner.get(name, selector));
  }

  promote(name: string, versionId: string): Promise<void> {
    return this.#guard('promote', name, () => this.#inner.promote(name, versionId));
  }

  delete(name: string): Promise<void> {
    return this.#guard('delete', name, () => this.#inner.delete(name));
  }

  async #guard<T>(operation: SecretStoreFailure['operation'], name: string, call: () => Promise<T>): Promise<T> {
    const now = this.#options.now();
    if (this.#cause && now < this.#openUntil) throw this.#refusal(operation, name);
    if (this.#cause && !(await this.#probeOnce())) throw this.#refusal(operation, name);
    this.#lastCallAt = now;
    try {
      const result = await call();
      this.#closed();
      return result;
    } catch (error) {
      if (error instanceof SecretStoreUnavailableError) this.#failed(error, false);
      throw error;
    }
  }

  /** One probe at a time per process; concurrent callers share its answer. */
  #probeOnce(): Promise<boolean> {
    this.#probe ??= (async () => {
      this.#lastCallAt = this.#options.now();
      try {
        await this.#inner.get(SECRET_STORE_PROBE_NAME);
        this.#closed();
        return true;
      } catch (error) {
        if (!(error instanceof SecretStoreUnavailableError)) {
          // The store answered, with something about the probe name itself: it is reachable.
          this.#closed();
          return true;
        }
        this.#failed(error, true);
        return false;
      } finally {
        this.#probe = null;
      }
    })();
    return this.#probe;
  }

  #closed(): void {
    this.#failures = 0;
    this.#cause = null;
    this.#openedAt = null;
  }

  #failed(error: SecretStoreUnavailableError, probe: boolean): void {
    this.#failures++;
    if (!probe && this.#failures < this.#options.failureThreshold) return;
    const now = this.#options.now();
    this.#openedAt ??= new Date(now);
    this.#cause = error;
    this.#openUntil = now + this.#options.openMs;
  }

  #unavailable(now: number): SecretStoreStatus {
    return {
      available: false,
      reason: this.#reason(),
      retryInMs: Math.max(0, this.#openUntil - now),
      since: this.#openedAt ?? new Date(now),
    };
  }

  #reason(): string {
    const details = this.#cause?.details as Partial<SecretStoreFailure> | undefined;
    return details?.reason ?? 'secret store failing';
  }

  #refusal(operation: SecretStoreFailure['operation'], name: string): SecretStoreUnavailableError {
    return new SecretStoreUnavailableError({
      backend: this.backend,
      operation,
      secretName: name,
      retryable: true,
      reason: `circuit open: ${this.#reason()}`,
    });
  }
}
