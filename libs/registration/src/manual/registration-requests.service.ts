import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { parseOrThrow, type Page, type PageRequest } from '#domain';
import {
  RegistrationRequestRepository,
  SITE_REQUEST_KINDS,
  SITE_REQUEST_STATUSES,
  type SiteRequest,
  type SiteRequestScope,
} from '#persistence';

export const siteRequestFilterSchema = z.strictObject({
  status: z.enum(SITE_REQUEST_STATUSES).optional(),
  kind: z.enum(SITE_REQUEST_KINDS).optional(),
  appId: z.uuid().optional(),
  healthSystemId: z.uuid().optional(),
  registrationId: z.uuid().optional(),
});

/**
 * Reads of requests to sites, each in its caller's scope: the tenant (which sites it waits for and
 * since when), the site's administrators (what they are asked to do), the operator (everything,
 * with reminders).
 */
@Injectable()
export class RegistrationRequestsService {
  constructor(private readonly requests: RegistrationRequestRepository) {}

  list(scope: SiteRequestScope, query: unknown, page: PageRequest): Promise<Page<SiteRequest>> {
    return this.requests.list(scope, parseOrThrow(siteRequestFilterSchema, query, 'filter'), page);
  }

  get(scope: SiteRequestScope, id: string): Promise<SiteRequest> {
    return this.requests.find(scope, id);
  }
}
