import type { z } from 'zod';
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEventRecord } from '#persistence';
import type { WebhookEndpointWithSecret } from '#registration';
import type {
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  WebhookEventSchema,
} from './schemas.js';

/** Webhook answers, shared by the operator's routes and a health system's own (/v1/site/webhooks). */
const iso = (date: Date | null) => date?.toISOString() ?? null;

/** No secret field exists here: the signing secret is added only by `withSecret`, once. */
export const toEndpointResponse = (endpoint: WebhookEndpointRecord): z.output<typeof WebhookEndpointSchema> => {
  const overlapEndsAt = endpoint.signingSecret.previousExpiresAt;
  return {
    id: endpoint.id,
    healthSystemId: endpoint.healthSystemId,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
    disabledAt: iso(endpoint.disabledAt),
    disabledReason: endpoint.disabledReason,
    lastDeliveredAt: iso(endpoint.lastDeliveredAt),
    /** While set, deliveries carry a signature with the previous secret too. */
    previousSecretSignsUntil: overlapEndsAt && overlapEndsAt > new Date() ? overlapEndsAt.toISOString() : null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
};

export const withSecret = ({
  endpoint,
  signingSecret,
}: WebhookEndpointWithSecret): z.output<typeof WebhookEndpointWithSecretSchema> => ({
  ...toEndpointResponse(endpoint),
  /** Shown in this response only; the broker cannot show it again. */
  signingSecret: signingSecret.reveal(),
});

export const toDeliveryResponse = (delivery: WebhookDeliveryRecord): z.output<typeof WebhookDeliverySchema> => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  attempt: delivery.attempt,
  replay: delivery.replay,
  at: delivery.at.toISOString(),
  outcome: delivery.outcome as z.output<typeof WebhookDeliverySchema>['outcome'],
  httpStatus: delivery.httpStatus,
  latencyMs: delivery.latencyMs,
  error: delivery.error,
  responseExcerpt: delivery.responseExcerpt,
  nextAttemptAt: iso(delivery.nextAttemptAt),
});

export const toEventResponse = (event: WebhookEventRecord): z.output<typeof WebhookEventSchema> => ({
  id: event.id,
  type: event.type,
  createdAt: event.createdAt.toISOString(),
  dispatchedAt: iso(event.dispatchedAt),
  payload: JSON.parse(event.body) as unknown,
});
