import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { DomainError, ErrorCode, SECRET_STORE, type SecretStore, type SecretValue } from '#domain';
import {
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
  WebhookEventRepository,
  type WebhookDeliveryInput,
  type WebhookEndpointRecord,
} from '#persistence';
import { RetryLaterError } from '#queue';
import {
  OutboundBlockedError,
  OutboundError,
  OutboundNetworkError,
  OutboundTimeoutError,
  ResponseTooLargeError,
  parseRetryAfter,
  type SafeHttpClient,
  type SafeHttpResponse,
} from '#smart-client';
import type { WebhookDeliveryJobData } from './delivery-jobs.js';
import { responseExcerpt } from './response-excerpt.js';
import { WEBHOOK_HTTP } from './webhook-http.js';
import { webhookRetryDelayMs } from './retry-schedule.js';
import { confidentialStrings, signWebhook } from './signing.js';

export interface DeliveryAttempt {
  /** 1-based. */
  number: number;
  /** No attempt follows this one, whatever happens. */
  final: boolean;
}

export type WebhookDeliveryResult =
  | { outcome: 'delivered'; httpStatus: number }
  | { outcome: 'failed'; error: string; endpointDisabled: boolean }
  | { outcome: 'skipped'; reason: string };

/** How an attempt ended, before deciding what follows. */
type Verdict =
  | { kind: 'delivered' }
  /** The endpoint must be disabled now (410 Gone, destination refused by the SSRF policy). */
  | { kind: 'disable'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

/**
 * Sends one event to one endpoint (one attempt of a delivery job) and logs the attempt:
 * 2xx delivered; 410 disables the endpoint; a destination the outbound policy refuses at
 * connect time (DNS changed since creation) disables it too; anything else (3xx included,
 * redirects are not followed) is retried on the schedule, after which the endpoint is
 * disabled unless it has accepted a delivery since this event was dispatched.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly schedule: readonly number[];

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly events: WebhookEventRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(WEBHOOK_HTTP) private readonly http: SafeHttpClient,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.schedule = config.webhooks.retryScheduleMs;
  }

  /**
   * Throws `RetryLaterError` (with the delay) when the delivery must be attempted again.
   * `dispatchedAt` is when the job was enqueued.
   */
  async deliver(
    job: WebhookDeliveryJobData,
    attempt: DeliveryAttempt,
    dispatchedAt: Date,
  ): Promise<WebhookDeliveryResult> {
    const endpoint = await this.endpoints.findLive(job.endpointId);
    if (!endpoint) return { outcome: 'skipped', reason: 'endpoint deleted' };
    if (!endpoint.enabled) return { outcome: 'skipped', reason: 'endpoint disabled' };
    const event = await this.events.findByIdForDelivery(job.eventId);
    if (!event) return { outcome: 'skipped', reason: 'event not found' };

    const secrets = await this.activeSecrets(endpoint);
    const at = new Date();
    const headers = signWebhook(secrets, event.id, at, event.body);
    const started = performance.now();
    let response: SafeHttpResponse | undefined;
    let failure: OutboundError | undefined;
    try {
      response = await this.http.request({
        method: 'POST',
        url: endpoint.url,
        headers: { ...headers, 'content-type': 'application/json' },
        body: event.body,
        // A 3xx is a failure (Standard Webhooks); following it would also let a receiver steer us elsewhere.
        followRedirects: false,
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      failure = error;
    }

    const verdict = response ? judgeResponse(response) : judgeFailure(failure!, new URL(endpoint.url).host);
    const logEntry: WebhookDeliveryInput = {
      eventId: event.id,
      endpointId: endpoint.id,
      eventType: event.type,
      attempt: attempt.number,
      replay: job.replay,
      at,
      outcome: 'delivered',
      httpStatus: response?.status ?? null,
      latencyMs: Math.round(performance.now() - started),
      error: verdict.kind === 'delivered' ? null : verdict.error,
      responseExcerpt: response ? responseExcerpt(response.body, confidentialStrings(secrets, headers)) : null,
      nextAttemptAt: null,
    };

    if (verdict.kind === 'delivered') {
      await this.deliveries.record(logEntry);
      await this.endpoints.markDelivered(endpoint.id, at);
      return { outcome: 'delivered', httpStatus: response!.status };
    }
    if (verdict.kind === 'disable') {
      await this.deliveries.record({ ...logEntry, outcome: 'failed' });
      const endpointDisabled = await this.endpoints.disable(
        endpoint.id,
        `${verdict.error} (event ${event.id}, attempt ${attempt.number})`,
        at,
      );
      return { outcome: 'failed', error: verdict.error, endpointDisabled };
    }
    const delayMs = attempt.final ? null : webhookRetryDelayMs(this.schedule, attempt.number, verdict.retryAfterMs);
    if (delayMs !== null) {
      await this.deliveries.record({
        ...logEntry,
        outcome: 'retry_scheduled',
        nextAttemptAt: new Date(at.getTime() + delayMs),
      });
      throw new RetryLaterError(delayMs, verdict.error);
    }
    await this.deliveries.record({ ...logEntry, outcome: 'failed' });
    // One event the receiver keeps refusing must not silence an endpoint that accepts others.
    const acceptedSince = endpoint.lastDeliveredAt !== null && endpoint.lastDeliveredAt >= dispatchedAt;
    const endpointDisabled =
      !acceptedSince &&
      (await this.endpoints.disable(
        endpoint.id,
        `no successful delivery since ${dispatchedAt.toISOString()}: event ${event.id} failed ${attempt.number} attempts, the last with ${verdict.error}`,
        at,
      ));
    return { outcome: 'failed', error: verdict.error, endpointDisabled };
  }

  /** The current secret, plus the one it replaced while the rotation overlap lasts. */
  private async activeSecrets(endpoint: WebhookEndpointRecord): Promise<SecretValue[]> {
    const { name, versionId, previousVersionId, previousExpiresAt } = endpoint.signingSecret;
    const overlapping = previousVersionId !== null && previousExpiresAt !== null && previousExpiresAt > new Date();
    const versions = overlapping ? [versionId, previousVersionId] : [versionId];
    const stored = await Promise.all(versions.map((id) => this.secrets.get(name, { versionId: id })));
    if (!stored[0]) {
      throw new DomainError(
        ErrorCode.Internal,
        `signing secret of webhook endpoint ${endpoint.id} is missing from the secret store`,
      );
    }
    return stored.filter((secret) => secret !== null).map((secret) => secret.value);
  }
}

function judgeResponse(response: SafeHttpResponse): Verdict {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'disable', error: 'the receiver answered HTTP 410 Gone' };
  if (status >= 300 && status < 400) return { kind: 'retry', error: `HTTP ${status} (redirects are not followed)` };
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
  return { kind: 'retry', error: `HTTP ${status}`, retryAfterMs };
}

/** Describes a failure without the URL: its path or query may hold the receiver's own token. */
function judgeFailure(error: OutboundError, host: string): Verdict {
  if (error instanceof OutboundBlockedError) {
    return { kind: 'disable', error: `destination ${host} refused by the outbound policy (${error.rule} address)` };
  }
  if (error instanceof OutboundTimeoutError) {
    return {
      kind: 'retry',
      error: `timeout waiting for the ${error.phase === 'connect' ? 'connection' : 'response'} (${error.timeoutMs} ms)`,
    };
  }
  if (error instanceof ResponseTooLargeError) {
    return { kind: 'retry', error: `response body larger than ${error.limitBytes} bytes` };
  }
  if (error instanceof OutboundNetworkError)
    return { kind: 'retry', error: `network error ${error.code ?? ''}`.trim() };
  return { kind: 'retry', error: error.kind };
}
