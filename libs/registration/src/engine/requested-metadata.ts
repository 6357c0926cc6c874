import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { App, Registration } from '#domain';
import { AppRepository } from '#persistence';

/**
 * The RFC 7591 request body for a registration: the app's metadata as captured when the
 * registration was created, plus what the broker owns (the jwks_uri of managed keys).
 */
@Injectable()
export class RequestedMetadataBuilder {
  constructor(
    private readonly apps: AppRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** `app` may be passed when the caller already loaded it (saves a query on the hot path). */
  async build(registration: Registration, app?: App): Promise<Record<string, unknown>> {
    app ??= await this.apps.findById(registration.tenantId, registration.appId);
    const metadata: Record<string, unknown> = { ...registration.requestedMetadata };
    if (app.keyManagement === 'managed') metadata.jwks_uri = managedJwksUri(this.config, app.id);
    return metadata;
  }
}

/** Where the broker publishes the public keys it manages for an app (stable, unauthenticated). */
export function managedJwksUri(config: BrokerConfig, appId: string): string {
  return `${config.api.publicBaseUrl}/v1/public/apps/${appId}/jwks.json`;
}
