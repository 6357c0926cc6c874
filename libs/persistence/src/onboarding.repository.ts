import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  ErrorCode,
  NotFoundError,
  type ClientMetadata,
  type Page,
  type PageRequest,
  type RegistrationState,
} from '#domain';
import { Prisma, type Onboarding as OnboardingRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';
import { asJson } from './json.js';
import { trustedTenantId, type TenantId } from '#domain';

export interface Onboarding {
  id: string;
  tenantId: TenantId;
  appId: string;
  total: number;
  createdAt: Date;
  /** When the worker announced it complete (`onboarding.completed`); null before. */
  completedAt: Date | null;
}

export interface NewOnboarding {
  tenantId: TenantId;
  appId: string;
  idempotencyKey: string;
  requestHash: string;
  healthSystemIds: string[];
  requestedMetadata: ClientMetadata;
  metadataVersion: number;
}

export interface OnboardingCreated {
  onboarding: Onboarding;
  /** false when the idempotency key matched an earlier, identical request. */
  created: boolean;
  /** Registrations of this onboarding still waiting for their first job. */
  queued: Array<{ registrationId: string; healthSystemId: string }>;
}

/** Registrations in these states are (re)started by a new onboarding; others are left as they are. */
const RESTARTABLE_STATES: RegistrationState[] = ['failed', 'deleted'];

const toOnboarding = (row: OnboardingRow): Onboarding => ({
  id: row.id,
  tenantId: trustedTenantId(row.tenantId),
  appId: row.appId,
  total: row.total,
  createdAt: row.createdAt,
  completedAt: row.completedAt,
});

@Injectable()
export class OnboardingRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the onboarding and its registrations (state `queued`) in one transaction. A
   * repeated idempotency key returns the first onboarding if the request is identical, and
   * is a conflict otherwise. Sites where the app is already registered or in progress are
   * not taken over; failed or deleted registrations start again under this onboarding.
   */
  async create(input: NewOnboarding): Promise<OnboardingCreated> {
    const existing = await this.findByIdempotencyKey(input);
    if (existing) return existing;
    try {
      return await this.prisma.$transaction(async (tx) => {
        const onboardingId = randomUUID();
        // One array parameter for the ids (see HealthSystemRepository.findExistingIds).
        const current = await tx.$queryRaw<Array<{ id: string; healthSystemId: string; state: RegistrationState }>>`
          SELECT "id"::text AS "id", "healthSystemId"::text AS "healthSystemId", "state" FROM "Registration"
           WHERE "appId" = ${input.appId}::uuid AND "healthSystemId" = ANY(${input.healthSystemIds}::uuid[])`;
        const taken = new Set(current.map((row) => row.healthSystemId));
        const restart = current.filter((row) => RESTARTABLE_STATES.includes(row.state));
        const fresh = input.healthSystemIds
          .filter((id) => !taken.has(id))
          .map((healthSystemId) => ({ id: randomUUID(), healthSystemId }));
        const total = fresh.length + restart.length;

        await tx.onboarding.create({
          data: {
            id: onboardingId,
            tenantId: input.tenantId,
            appId: input.appId,
            idempotencyKey: input.idempotencyKey,
            requestHash: input.requestHash,
            total,
          },
        });
        // One set-based INSERT: Prisma's createMany costs about 0.6 ms per row here, which a
        // 1,000-site onboarding would spend inside the 202 (see bench:onboarding). The history
        // rows come from the registration trigger.
        const metadata = JSON.stringify(input.requestedMetadata);
        await tx.$executeRaw`
          INSERT INTO "Registration" ("id", "tenantId", "appId", "healthSystemId", "onboardingId", "state",
                                      "stateReason", "metadataVersion", "requestedMetadata", "createdAt", "updatedAt")
          SELECT r.id, ${input.tenantId}::uuid, ${input.appId}::uuid, r.hs, ${onboardingId}::uuid, 'queued',
                 'onboarding', ${input.metadataVersion}, ${metadata}::jsonb, now(), now()
            FROM unnest(${fresh.map((row) => row.id)}::uuid[], ${fresh.map((row) => row.healthSystemId)}::uuid[]) AS r(id, hs)`;
        if (restart.length) {
          await tx.registration.updateMany({
            where: { id: { in: restart.map((row) => row.id) } },
            data: {
              onboardingId,
              state: 'queued',
              stateReason: 'onboarding',
              metadataVersion: input.metadataVersion,
              requestedMetadata: asJson(input.requestedMetadata),
              attemptCount: 0,
              lastError: Prisma.DbNull,
              nextAttemptAt: null,
            },
          });
        }
        const onboarding = await tx.onboarding.findUniqueOrThrow({ where: { id: onboardingId } });
        return {
          onboarding: toOnboarding(onboarding),
          created: true,
          queued: [...fresh, ...restart].map((row) => ({ registrationId: row.id, healthSystemId: row.healthSystemId })),
        };
      });
    } catch (error) {
      // Two identical requests raced: the loser answers like a replay.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        const winner = await this.findByIdempotencyKey(input);
        if (winner) return winner;
      }
      throw error;
    }
  }

  async findById(tenantId: TenantId, id: string): Promise<Onboarding> {
    const row = await this.prisma.onboarding.findFirst({ where: { id, tenantId } });
    if (!row) throw new NotFoundError('onboarding', id);
    return toOnboarding(row);
  }

  async list(tenantId: TenantId, page: PageRequest, appId?: string): Promise<Page<Onboarding>> {
    // Indexes: (tenantId, createdAt, id); with ?appId= (appId, createdAt, id).
    return keysetPage(
      this.prisma,
      { table: 'Onboarding', time: 'createdAt' },
      [uuidEquals('tenantId', tenantId), uuidEquals('appId', appId)],
      page,
      toOnboarding,
    );
  }

  private async findByIdempotencyKey(input: NewOnboarding): Promise<OnboardingCreated | null> {
    const row = await this.prisma.onboarding.findUnique({
      where: { tenantId_idempotencyKey: { tenantId: input.tenantId, idempotencyKey: input.idempotencyKey } },
    });
    if (!row) return null;
    if (row.requestHash !== input.requestHash) {
      throw new DomainError(
        ErrorCode.IdempotencyKeyReused,
        'this Idempotency-Key was used with a different request; use a new key for a new request',
      );
    }
    const queued = await this.prisma.registration.findMany({
      where: { onboardingId: row.id, tenantId: input.tenantId, state: 'queued' },
      select: { id: true, healthSystemId: true },
    });
    return {
      onboarding: toOnboarding(row),
      created: false,
      queued: queued.map((r) => ({ registrationId: r.id, healthSystemId: r.healthSystemId })),
    };
  }
}
