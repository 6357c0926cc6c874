import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './event-catalogue.js';

/**
 * A receiver URL as the operator enters it: absolute http(s), no credentials (they would
 * end up in logs), no fragment (never sent). Whether http and the address the host resolves
 * to are acceptable is the outbound policy's call, made by the service.
 */
export const webhookUrlSchema = z
  .string()
  .max(2048)
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      ctx.addIssue({ code: 'custom', message: 'must use https' });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
    if (url.hash) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment' });
    return url.toString();
  });

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
