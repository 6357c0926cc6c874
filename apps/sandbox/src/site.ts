import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { SiteStore } from './memory-adapter.js';
import { createSiteProvider, type SharedProviderKeys } from './oidc-site.js';
import { resolveBehaviour, type SiteBehaviour, type SiteOptions, type SiteProfile } from './site-profiles.js';
import { siteUrls, type SiteUrls } from './site-urls.js';

/** What a test or the broker's operator needs to know about a site. */
export interface SiteInfo {
  name: string;
  profile: SiteProfile;
  fhirBaseUrl: string;
  issuer: string;
  registrationEndpoint: string;
  tokenEndpoint: string;
  /** Only `iat` sites: the token to send as `Authorization: Bearer` with a registration. */
  initialAccessToken?: string;
}

export type FlakyFailure = 429 | 503;

/** One simulated health system: its behaviour, URLs, storage and (lazily) its OAuth server. */
export class Site {
  readonly name: string;
  readonly behaviour: SiteBehaviour;
  readonly urls: SiteUrls;
  readonly store = new SiteStore();
  readonly createdAt = new Date();
  #provider?: Provider;
  #providerHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  #registrationAttempts = 0;
  /** `corruptConcurrentRegistrations`: registrations being served now, and those refused for overlapping. */
  registrationsInFlight = 0;
  concurrentRegistrationsRefused = 0;
  #registrationFailures = 0;

  constructor(
    options: SiteOptions,
    origin: string,
    private readonly keys: SharedProviderKeys,
    private readonly onServerError: (site: string, error: Error) => void,
  ) {
    this.name = options.name;
    this.behaviour = resolveBehaviour(options);
    this.urls = siteUrls(origin, options.name);
  }

  info(): SiteInfo {
    return {
      name: this.name,
      profile: this.behaviour.profile,
      fhirBaseUrl: this.urls.fhirBase,
      issuer: this.urls.issuer,
      registrationEndpoint: this.urls.registration,
      tokenEndpoint: this.urls.token,
      ...(this.behaviour.initialAccessToken ? { initialAccessToken: this.behaviour.initialAccessToken } : {}),
    };
  }

  /**
   * The site's oidc-provider, built on first use: a thousand benchmark sites cost nothing until
   * they are called.
   */
  provider(): Provider {
    this.#provider ??= createSiteProvider({
      issuer: this.urls.issuer,
      behaviour: this.behaviour,
      store: this.store,
      keys: this.keys,
      onServerError: (error) => this.onServerError(this.name, error),
    });
    return this.#provider;
  }

  providerHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    this.#providerHandler ??= this.provider().callback();
    return this.#providerHandler;
  }

  /**
   * `flaky` sites: whether this registration attempt fails, and how. Failures are spread evenly
   * (attempt n, from 0, fails when ceil((n+1)·rate) > ceil(n·rate): exactly `rate` of them over
   * time, starting with the first, so every client of a flaky site meets a failure first) and
   * alternate 429, 503, 429... so benchmarks and tests are reproducible.
   */
  nextRegistrationFailure(): FlakyFailure | undefined {
    const flaky = this.behaviour.flaky;
    if (!flaky) return undefined;
    const attempt = this.#registrationAttempts++;
    if (Math.ceil((attempt + 1) * flaky.rate) <= Math.ceil(attempt * flaky.rate)) return undefined;
    return this.#registrationFailures++ % 2 === 0 ? 429 : 503;
  }
}
