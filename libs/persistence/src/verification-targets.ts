import { Injectable } from '@nestjs/common';
import { NotFoundError, type HealthSystem, type Registration, type TenantId } from '#domain';
import type { Registration as RegistrationRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { toRegistration } from './registration.repository.js';

/** What a verification reads before it calls the site: the registration, and where its site is. */
export interface VerificationTarget {
  registration: Registration;
  /** Null when the health system was deleted meanwhile (the verify fails as a lookup would). */
  site: Pick<HealthSystem, 'id' | 'fhirBaseUrl' | 'discovery'> | null;
}

type TargetRow = RegistrationRow & {
  siteFhirBaseUrl: string | null;
  siteDiscovery: Record<string, unknown> | null;
};

/**
 * The read every verification starts with, in one plain statement on the pool Prisma runs on
 * (named: each connection parses and plans it once) instead of two Prisma model calls: a fleet
 * is verified every day, so this is a hot path (bench:lifecycle). `pg` hands back what Prisma
 * would (uuid and text as strings, JSON parsed, timestamps as `Date`), so the row maps like any
 * other registration.
 */
@Injectable()
export class VerificationTargets {
  constructor(private readonly prisma: PrismaService) {}

  async read(tenantId: TenantId, registrationId: string): Promise<VerificationTarget> {
    const { rows } = await this.prisma.pool.query<TargetRow>({
      ...(this.prisma.preparedStatements && { name: 'verification_target' }),
      text: `SELECT r.*, h."fhirBaseUrl" AS "siteFhirBaseUrl", h."discovery" AS "siteDiscovery"
               FROM "Registration" r
               LEFT JOIN "HealthSystem" h ON h."id" = r."healthSystemId" AND h."deletedAt" IS NULL
              WHERE r."id" = $1 AND r."tenantId" = $2`,
      values: [registrationId, tenantId],
    });
    const row = rows[0];
    if (!row) throw new NotFoundError('registration', registrationId);
    const { siteFhirBaseUrl, siteDiscovery, ...registration } = row;
    return {
      registration: toRegistration(registration),
      site:
        siteFhirBaseUrl === null
          ? null
          : { id: registration.healthSystemId, fhirBaseUrl: siteFhirBaseUrl, discovery: siteDiscovery },
    };
  }
}
