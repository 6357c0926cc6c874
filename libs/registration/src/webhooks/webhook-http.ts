import type { Provider } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { recordOutboundCall } from '#observability';
import { createSafeHttpClient, safeHttpOptionsFromConfig } from '#smart-client';

/** Standard Webhooks asks senders to time out within 15 to 30 s. */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** Receivers answer with a status; the body is read only for the log's short excerpt. */
export const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The safe HTTP client for webhooks: the process's SSRF policy (OUTBOUND_ALLOWED_HOSTS) with
 * webhook limits. A client of its own because the response-head timeout is per client: the
 * shared one gives up after OUTBOUND_TIMEOUT_MS, a receiver gets the full 15 s.
 */
export const WEBHOOK_HTTP = Symbol('WebhookHttpClient');

export const webhookHttpProvider: Provider = {
  provide: WEBHOOK_HTTP,
  useFactory: (config: BrokerConfig) =>
    createSafeHttpClient({
      ...safeHttpOptionsFromConfig(config.outbound, recordOutboundCall),
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: WEBHOOK_MAX_RESPONSE_BYTES,
    }),
  inject: [BROKER_CONFIG],
};
