import type { Provider } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { recordOutboundCall } from '#observability';
import { DiscoveryCacheRepository } from '#persistence';
import {
  createSafeHttpClient,
  createSmartDiscovery,
  safeHttpOptionsFromConfig,
  withDiscoveryCache,
  type SmartServerDescription,
} from '#smart-client';

/** The one outbound HTTP client of the process (SSRF policy, limits, metrics). */
export const SAFE_HTTP = Symbol('SafeHttpClient');
/** SMART discovery, cached on the health system row and shared by all tenants and workers. */
export const SMART_DISCOVERY = Symbol('SmartDiscovery');

export const outboundProviders: Provider[] = [
  {
    provide: SAFE_HTTP,
    useFactory: (config: BrokerConfig) =>
      createSafeHttpClient(safeHttpOptionsFromConfig(config.outbound, recordOutboundCall)),
    inject: [BROKER_CONFIG],
  },
  {
    provide: SMART_DISCOVERY,
    useFactory: (
      config: BrokerConfig,
      http: ReturnType<typeof createSafeHttpClient>,
      cache: DiscoveryCacheRepository,
    ) =>
      withDiscoveryCache(createSmartDiscovery({ http, defaultTtlSeconds: config.discovery.ttlSeconds }), {
        get: async (url) => (await cache.get(url)) as SmartServerDescription | undefined,
        set: (url, description, ttlSeconds) => cache.set(url, description, ttlSeconds),
      }),
    inject: [BROKER_CONFIG, SAFE_HTTP, DiscoveryCacheRepository],
  },
];
