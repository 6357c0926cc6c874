import { z } from 'zod';
import { httpUrlSchema } from '#domain';
import { WEBHOOK_EVENT_TYPES } from './event-catalogue.js';

/** A receiver URL: see `httpUrlSchema`; a query is allowed (some receivers route by it). */
export const webhookUrlSchema = httpUrlSchema({ allowQuery: true }).transform((url) => url.toString());

const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .transform((types) => [...new Set(types)]);

const description = z.string().trim().min(1).max(500).nullable();

export const createWebhookEndpointSchema = z.strictObject({
  url: webhookUrlSchema,
  /** Defaults to every event type. */
  eventTypes: eventTypes.default([...WEBHOOK_EVENT_TYPES]),
  enabled: z.boolean().default(true),
  description: description.default(null),
});

export const updateWebhookEndpointSchema = z
  .strictObject({ url: webhookUrlSchema, eventTypes, enabled: z.boolean(), description })
  .partial();

/** The longest overlap a rotation may ask for: a week. */
const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

export const rotateWebhookSecretSchema = z.strictObject({
  /** How long the replaced secret keeps signing (both signatures are sent); 0 = stop at once. */
  overlapSeconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).default(DEFAULT_ROTATION_OVERLAP_SECONDS),
});
