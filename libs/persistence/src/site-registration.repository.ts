import { Injectable } from '@nestjs/common';
import type { Page, PageRequest, RegistrationError, RegistrationState } from '#domain';
import { PrismaService } from './prisma.service.js';
import { keysetQuery, toPage } from './pagination.js';

/** What a health system's administrators see of a registration at their site: never a credential. */
export interface SiteRegistration {
  id: string;
  tenant: { id: string; name: string };
  app: { id: string; name: string };
  clientId: string | null;
  clientName: string | null;
  state: RegistrationState;
  /** When the registration reached its current state. */
  since: Date;
  createdAt: Date;
  lastError: RegistrationError | null;
}

export interface SiteRegistrationFilter {
  state?: RegistrationState;
  tenantId?: string;
  appId?: string;
}

/**
 * Registrations by health system, across tenants: the one query a site's administrators have.
 * Scoped by the health system of the caller's key, never by a tenant.
 */
@Injectable()
export class SiteRegistrationRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(
    healthSystemId: string,
    filter: SiteRegistrationFilter,
    page: PageRequest,
  ): Promise<Page<SiteRegistration>> {
    const query = keysetQuery(page);
    const rows = await this.prisma.registration.findMany({
      ...query,
      where: { ...query.where, ...filter, healthSystemId },
      select: {
        id: true,
        state: true,
        clientId: true,
        grantedMetadata: true,
        requestedMetadata: true,
        lastError: true,
        createdAt: true,
        updatedAt: true,
        tenant: { select: { id: true, name: true } },
        app: { select: { id: true, name: true } },
        // The transition into the current state (a trigger records every state change).
        transitions: { orderBy: { at: 'desc' }, take: 1, select: { at: true } },
      },
    });
    return toPage(rows, page, (row) => ({
      id: row.id,
      tenant: row.tenant,
      app: row.app,
      clientId: row.clientId,
      clientName: clientNameOf(row.grantedMetadata) ?? clientNameOf(row.requestedMetadata),
      state: row.state as RegistrationState,
      since: row.transitions[0]?.at ?? row.createdAt,
      createdAt: row.createdAt,
      lastError: (row.lastError as RegistrationError | null) ?? null,
    }));
  }
}

function clientNameOf(metadata: unknown): string | null {
  const name = (metadata as { client_name?: unknown } | null)?.client_name;
  return typeof name === 'string' ? name : null;
}
