import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import type { BrokerConfig } from '#config';
import { SITE_REQUEST_KINDS, SITE_REQUEST_STATUSES, type SiteRequest } from '#persistence';
import { requestLinks } from '#registration';
import { ApiUuidQuery, named, pageOf } from '../http/openapi.js';

const timestamp = () => z.iso.datetime({ offset: true });

/** A request to a site's administrators (manual registration), as every caller sees it. Never a secret. */
export const SiteRequestSchema = named(
  'RegistrationRequest',
  z.object({
    id: z.uuid(),
    kind: z
      .enum(SITE_REQUEST_KINDS)
      .describe(
        'register a new app; update (the app changed: see changes); rotation (a new secret); removal (offboarded).',
      ),
    status: z.enum(SITE_REQUEST_STATUSES),
    tenantId: z.uuid(),
    appId: z.uuid(),
    healthSystemId: z.uuid(),
    registrationId: z.uuid(),
    openedAt: timestamp(),
    ageSeconds: z.number().int().describe('Seconds since the request opened (once answered: how long the site took).'),
    remindersSent: z.number().int().describe('Times the `registration.requested` webhook was re-sent while open.'),
    lastRemindedAt: timestamp().nullable(),
    nextReminderAt: timestamp().nullable(),
    answeredAt: timestamp().nullable(),
    answeredBy: z.object({ type: z.literal('health_system_key'), keyId: z.string() }).nullable(),
    clientId: z.string().nullable().describe('The client id the site entered.'),
    declineReason: z.string().nullable(),
    proof: z
      .enum(['token_request_succeeded', 'not_testable'])
      .nullable()
      .describe('How entered credentials were proven: a real token request, or not testable (see proofDetail).'),
    proofDetail: z.string().nullable(),
    changes: z
      .array(z.object({ field: z.string(), from: z.unknown().optional(), to: z.unknown().optional() }))
      .nullable()
      .describe('update: each RFC 7591 member that changed, with its old and new value.'),
    document: z
      .record(z.string(), z.unknown())
      .describe(
        'Everything needed to register the client by hand: `client` (named fields) and `clientMetadata` (RFC 7591 JSON).',
      ),
    links: z.object({ self: z.string(), printable: z.string() }),
  }),
  'A request to the administrators of a site without dynamic registration.',
);
export const SiteRequestPageSchema = pageOf(SiteRequestSchema);

export function toSiteRequestResponse(
  config: BrokerConfig,
  request: SiteRequest,
  now = Date.now(),
): z.output<typeof SiteRequestSchema> {
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
    answeredBy: request.answeredByKeyId ? { type: 'health_system_key', keyId: request.answeredByKeyId } : null,
    clientId: request.clientId,
    declineReason: request.declineReason,
    proof: request.proof,
    proofDetail: request.proofDetail,
    changes: request.changes,
    document: request.document,
    links: requestLinks(config, request.id),
  };
}

/** The filters every list of requests takes. */
export const ApiSiteRequestFilters = (healthSystemFilter: boolean) =>
  applyDecorators(
    ApiQuery({
      name: 'status',
      required: false,
      description: 'Only requests in this status (`open`: still waiting).',
      enum: [...SITE_REQUEST_STATUSES],
    }),
    ApiQuery({
      name: 'kind',
      required: false,
      description: 'Only requests of this kind.',
      enum: [...SITE_REQUEST_KINDS],
    }),
    ApiUuidQuery('appId', 'Only requests about this app.'),
    ApiUuidQuery('registrationId', 'Only requests about this registration.'),
    ...(healthSystemFilter ? [ApiUuidQuery('healthSystemId', 'Only requests to this health system.')] : []),
  );
