import { Inject, Injectable } from '@nestjs/common';
import { SECRET_STORE, type HealthSystem, type SecretStore, type SecretValue } from '#domain';
import {
  register,
  type CachedSmartDiscovery,
  type RegistrationResult,
  type SafeHttpClient,
  type SmartServerDescription,
} from '#smart-client';
import { SAFE_HTTP, SMART_DISCOVERY } from '../outbound/outbound.providers.js';

/**
 * RFC 7591 registration at one site, as a first registration and a re-registration (a new client
 * for a lifecycle step) both do it: the site's discovery document (the health system row is the
 * discovery cache), its registration endpoint, the initial access token the operator stored for
 * it, and the POST. Each caller decides what a failure of each part means for its own step.
 */
@Injectable()
export class SiteRegistration {
  constructor(
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    @Inject(SMART_DISCOVERY) private readonly discovery: CachedSmartDiscovery,
  ) {}

  /** The site's description and its RFC 7591 endpoint (null: it advertises none). Discovery errors throw. */
  async endpoint(
    healthSystem: HealthSystem,
  ): Promise<{ description: SmartServerDescription; registrationEndpoint: string | null }> {
    const description = await this.discovery.discover(healthSystem.fhirBaseUrl, healthSystem.discovery);
    return { description, registrationEndpoint: description.endpoints.registration?.value ?? null };
  }

  /**
   * The site's description and RFC 7591 endpoint when the health system row holds them fresh:
   * a registration can go ahead without reading anything from the site. Undefined otherwise.
   */
  heldEndpoint(
    healthSystem: HealthSystem,
  ): { description: SmartServerDescription; registrationEndpoint: string | null } | undefined {
    const description = this.discovery.held(healthSystem.fhirBaseUrl, healthSystem.discovery);
    return description && { description, registrationEndpoint: description.endpoints.registration?.value ?? null };
  }

  /** The site's initial access token (RFC 7591 §3), when the operator stored one. Store errors throw. */
  async initialAccessToken(healthSystem: HealthSystem): Promise<SecretValue | undefined> {
    if (!healthSystem.initialAccessToken) return undefined;
    return (await this.secrets.get(healthSystem.initialAccessToken.name))?.value;
  }

  register(request: Parameters<typeof register>[1]): Promise<RegistrationResult> {
    return register(this.http, request);
  }
}
