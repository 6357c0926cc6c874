import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import type { BrokerConfig } from '#config';
import { SITE_REQUEST_KINDS, SITE_REQUEST_STATUSES, type SiteRequest } from '#persistence';
import { requestLinks } from '#registration';

/** The response shape of a request to a site (the OpenAPI schema and the mapper agree on it). */
export const siteRequestResponseSchema = z.object({
  id: z.uuid(),
  kind: z.enum(SITE_REQUEST_KINDS),
  status: z.enum(SITE_REQUEST_STATUSES),
  tenantId: z.uuid(),
  appId: z.uuid(),
  healthSystemId: z.uuid(),
  registrationId: z.uuid(),
  openedAt: z.iso.datetime(),
  /** Seconds since the request was opened (until answered: then how long the site took). */
  ageSeconds: z.number().int(),
  remindersSent: z.number().int(),
  lastRemindedAt: z.iso.datetime().nullable(),
  nextReminderAt: z.iso.datetime().nullable(),
  answeredAt: z.iso.datetime().nullable(),
  answeredBy: z.object({ type: z.literal('health_system_key'), keyId: z.string() }).nullable(),
  clientId: z.string().nullable(),
  declineReason: z.string().nullable(),
  proof: z.enum(['token_request_succeeded', 'not_testable']).nullable(),
  proofDetail: z.string().nullable(),
  changes: z.array(z.object({ field: z.string(), from: z.unknown().optional(), to: z.unknown().optional() })).nullable(),
  document: z.record(z.string(), z.unknown()),
  links: z.object({ self: z.string(), printable: z.string() }),
});

export function toSiteRequestResponse(config: BrokerConfig, request: SiteRequest, now = Date.now()) {
  const until = request.answeredAt?.getTime() ?? now;
  return {
    id: request.id,
    kind: request.kind,
    status: request.status,
    tenantId: request.tenantId,
    appId: request.appId,
    healthSystemId: request.healthSystemId,
    registrationId: request.registrationId,
    openedAt: request.openedAt.toISOString(),
    ageSeconds: Math.max(0, Math.floor((until - request.openedAt.getTime()) / 1000)),
    remindersSent: request.remindersSent,
    lastRemindedAt: request.lastRemindedAt?.toISOString() ?? null,
    nextReminderAt: request.nextReminderAt?.toISOString() ?? null,
    answeredAt: request.answeredAt?.toISOString() ?? null,
    answeredBy: request.answeredByKeyId ? { type: 'health_system_key' as const, keyId: request.answeredByKeyId } : null,
    clientId: request.clientId,
    declineReason: request.declineReason,
    proof: request.proof,
    proofDetail: request.proofDetail,
    changes: request.changes,
    document: request.document,
    links: requestLinks(config, request.id),
  };
}

const listSchema = z.object({ items: z.array(siteRequestResponseSchema), nextCursor: z.string().nullable() });
const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as object;

/** OpenAPI: one request. */
export const ApiSiteRequestResponse = (status = 200, description = 'the request') =>
  applyDecorators(ApiResponse({ status, description, schema: jsonSchema(siteRequestResponseSchema) }));

/** OpenAPI: a page of requests. */
export const ApiSiteRequestListResponse = () =>
  applyDecorators(ApiResponse({ status: 200, description: 'a page of requests', schema: jsonSchema(listSchema) }));
