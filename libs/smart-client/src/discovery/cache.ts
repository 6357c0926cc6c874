import type { SmartDiscovery } from './discover.js';
import { normalizeFhirBaseUrl } from './discover.js';
import type { SmartServerDescription } from './description.js';

/**
 * Where discovery results are kept between runs, keyed by normalised FHIR base URL. One
 * description serves every tenant registering at that health system. The app provides a
 * shared implementation (Redis or the database); `InMemoryDiscoveryCache` serves tests and
 * single-process use.
 */
export interface DiscoveryCache {
  get(fhirBaseUrl: string): Promise<SmartServerDescription | undefined>;
  /** `ttlSeconds` may be 0 (the server forbids caching): keep it as the last known description, already stale. */
  set(fhirBaseUrl: string, description: SmartServerDescription, ttlSeconds: number): Promise<void>;
}

export class InMemoryDiscoveryCache implements DiscoveryCache {
  readonly #entries = new Map<string, { description: SmartServerDescription; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(fhirBaseUrl: string): Promise<SmartServerDescription | undefined> {
    const entry = this.#entries.get(fhirBaseUrl);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(fhirBaseUrl);
      return undefined;
    }
    return entry.description;
  }

  async set(fhirBaseUrl: string, description: SmartServerDescription, ttlSeconds: number): Promise<void> {
    this.#entries.set(fhirBaseUrl, { description, expiresAt: this.now() + ttlSeconds * 1000 });
  }
}

export interface CachedSmartDiscovery extends SmartDiscovery {
  /**
   * `known`: the description the caller already read with the health system (the cache's own
   * row, say); served while it is fresh and for this URL, which spares a cache lookup.
   */
  discover(fhirBaseUrl: string, known?: unknown): Promise<SmartServerDescription>;
  /** `known` when `discover` would serve it as it is: fresh and for this URL (nothing to read). */
  held(fhirBaseUrl: string, known?: unknown): SmartServerDescription | undefined;
  /** Discovers again and replaces the cached description (after a registration failed oddly, say). */
  refresh(fhirBaseUrl: string): Promise<SmartServerDescription>;
}

/**
 * Serves discovery from `cache` while a description is fresh (its `expiresAt`, from the
 * server's Cache-Control or the configured default), and lets concurrent callers in this
 * process share one run per FHIR base URL: a bulk onboarding starts many jobs for one site
 * at once.
 */
export function withDiscoveryCache(
  discovery: SmartDiscovery,
  cache: DiscoveryCache,
  now: () => number = Date.now,
): CachedSmartDiscovery {
  const inFlight = new Map<string, Promise<SmartServerDescription>>();

  function refresh(fhirBaseUrl: string): Promise<SmartServerDescription> {
    const key = normalizeFhirBaseUrl(fhirBaseUrl);
    const running = inFlight.get(key);
    if (running) return running;
    const run = (async () => {
      const description = await discovery.discover(key);
      const ttlSeconds = Math.floor((Date.parse(description.expiresAt) - Date.parse(description.fetchedAt)) / 1000);
      // Stored even when the server forbids caching (TTL 0): the cache is also the broker's
      // last known description of the site, and `discover` refetches once it has expired.
      await cache.set(key, description, Math.max(0, ttlSeconds));
      return description;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, run);
    return run;
  }

  const isFresh = (description: SmartServerDescription) => Date.parse(description.expiresAt) > now();

  function held(fhirBaseUrl: string, known?: unknown): SmartServerDescription | undefined {
    const description = known as SmartServerDescription | null | undefined;
    return description?.fhirBaseUrl === normalizeFhirBaseUrl(fhirBaseUrl) && isFresh(description)
      ? description
      : undefined;
  }

  async function discover(fhirBaseUrl: string, known?: unknown): Promise<SmartServerDescription> {
    const key = normalizeFhirBaseUrl(fhirBaseUrl);
    const description = held(key, known);
    if (description) return description;
    const cached = await cache.get(key);
    if (cached && isFresh(cached)) return cached;
    return refresh(key);
  }

  return { discover, held, refresh };
}
