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
import { GroupCommit } from './ledger/group-commit.js';
import { uuidList } from './uuid-list.js';
import { RegistrationStates, trustedTenantId, type TenantId } from '#domain';

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
  /** Writes what records the creation (its audit event) inside the creating transaction: one commit. */
  recordCreation?: (tx: Prisma.TransactionClient, onboarding: Onboarding) => Promise<void>;
}

export interface OnboardingCreated {
  onboarding: Onboarding;
  /** false when the idempotency key matched an earlier, identical request. */
  created: boolean;
  /** Registrations of this onboarding still waiting for their first job. */
  queued: Array<{ registrationId: string; healthSystemId: string }>;
}

const toOnboarding = (row: OnboardingRow): Onboarding => ({
  id: row.id,
  tenantId: trustedTenantId(row.tenantId),
  appId: row.appId,
  total: row.total,
  createdAt: row.createdAt,
  completedAt: row.completedAt,
});

type CompletionProbe = { tenantId: TenantId; onboardingId: string };

/**
 * Whether each onboarding is open with no registration still at work: "no row in an in-flight
 * state" rather than "settled = total", so the index on (onboardingId, state) answers by probing
 * the in-flight states only and the cost does not grow with the onboarding's size.
 */
const COMPLETABLE_SQL = `SELECT o."id", o."appId" FROM "Onboarding" o
  JOIN unnest($1::uuid[], $2::uuid[]) AS p("id", "tenantId") ON p."id" = o."id" AND p."tenantId" = o."tenantId"
 WHERE o."completedAt" IS NULL
   AND NOT EXISTS (SELECT 1 FROM "Registration" r WHERE r."onboardingId" = o."id" AND r."state" = ANY($3::text[]))`;

@Injectable()
export class OnboardingRepository {
  /**
   * Every job that settles a registration asks whether its onboarding is complete; the jobs of
   * one onboarding run together, so their questions are collected for a few ms and answered by
   * one statement (a 1,000-site onboarding asked 1,000 times, one round trip each).
   */
  private readonly completionProbes: GroupCommit;
  private probeKey = 0;

  constructor(private readonly prisma: PrismaService) {
    this.completionProbes = new GroupCommit(prisma.pool, { maxEntries: 256, maxWaitMs: 2, maxInFlight: 2 });
    this.completionProbes.register<CompletionProbe, { appId: string } | null>('probe', async (client, probes) => {
      const values = [
        probes.map((p) => p.onboardingId),
        probes.map((p) => p.tenantId),
        [...RegistrationStates.inFlight],
      ];
      const query = prisma.preparedStatements
        ? { name: 'onboarding_completable', text: COMPLETABLE_SQL, values }
        : { text: COMPLETABLE_SQL, values };
      const { rows } = await client.query<{ id: string; appId: string }>(query);
      const open = new Map(rows.map((row) => [row.id, row.appId]));
      return probes.map((p) => (open.has(p.onboardingId) ? { appId: open.get(p.onboardingId)! } : null));
    });
  }

  /**
   * The onboarding's app when it is open and none of its registrations is still at work (it may
   * be announced complete now), else null. Ask after the settling change has committed: the last
   * two jobs to settle then cannot both miss each other's change.
   */
  findCompletable(tenantId: TenantId, onboardingId: string): Promise<{ appId: string } | null> {
    return this.completionProbes.submit('probe', String(this.probeKey++), { tenantId, onboardingId });
  }

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
        const current = await tx.$queryRaw<Array<{ id: string; healthSystemId: string; state: RegistrationState }>>`
          SELECT "id"::text AS "id", "healthSystemId"::text AS "healthSystemId", "state" FROM "Registration"
           WHERE "appId" = ${input.appId}::uuid AND "healthSystemId" = ANY(${uuidList(input.healthSystemIds)})`;
        const taken = new Set(current.map((row) => row.healthSystemId));
        const restartable = current.filter((row) => RegistrationStates.restartable.includes(row.state));
        const fresh = input.healthSystemIds
          .filter((id) => !taken.has(id))
          .map((healthSystemId) => ({ id: randomUUID(), healthSystemId }));

        let onboarding = await tx.onboarding.create({
          data: {
            id: onboardingId,
            tenantId: input.tenantId,
            appId: input.appId,
            idempotencyKey: input.idempotencyKey,
            requestHash: input.requestHash,
            total: fresh.length + restartable.length,
          },
        });
        // One set-based INSERT: Prisma's createMany costs about 0.6 ms per row here, which a
        // 1,000-site onboarding would spend inside the 202 (see bench:onboarding). The history
        // rows come from the registration trigger.
        const metadata = JSON.stringify(input.requestedMetadata);
        if (fresh.length) {
          await tx.$executeRaw`
            INSERT INTO "Registration" ("id", "tenantId", "appId", "healthSystemId", "onboardingId", "state",
                                        "stateReason", "metadataVersion", "requestedMetadata", "createdAt", "updatedAt")
            SELECT r.id, ${input.tenantId}::uuid, ${input.appId}::uuid, r.hs, ${onboardingId}::uuid, 'queued',
                   'onboarding', ${input.metadataVersion}, ${metadata}::jsonb, now(), now()
              FROM unnest(${uuidList(fresh.map((row) => row.id))}, ${uuidList(fresh.map((row) => row.healthSystemId))}) AS r(id, hs)`;
        }
        // The restart is a compare-and-set like every other move: the SELECT above took no lock,
        // so a registration may have left its restartable state since (a `failed -> verifying`
        // of a lifecycle job). The state condition is evaluated again on the locked row, and
        // only the rows still restartable are taken over; the others are left to the job that
        // moved them, and the onboarding's total counts what it really took.
        const restarted = restartable.length
          ? await tx.$queryRaw<Array<{ id: string; healthSystemId: string }>>`
              UPDATE "Registration"
                 SET "onboardingId" = ${onboardingId}::uuid, "state" = 'queued', "stateReason" = 'onboarding',
                     "metadataVersion" = ${input.metadataVersion}, "requestedMetadata" = ${metadata}::jsonb,
                     "attemptCount" = 0, "lastError" = NULL, "nextAttemptAt" = NULL, "updatedAt" = now()
               WHERE "id" = ANY(${uuidList(restartable.map((row) => row.id))})
                 AND "tenantId" = ${input.tenantId}::uuid
                 AND "state" = ANY(${[...RegistrationStates.restartable]}::text[])
              RETURNING "id"::text AS "id", "healthSystemId"::text AS "healthSystemId"`
          : [];
        if (restarted.length !== restartable.length) {
          onboarding = await tx.onboarding.update({
            where: { id: onboardingId },
            data: { total: fresh.length + restarted.length },
          });
        }
        await input.recordCreation?.(tx, toOnboarding(onboarding));
        return {
          onboarding: toOnboarding(onboarding),
          created: true,
          queued: [...fresh, ...restarted].map((row) => ({
            registrationId: row.id,
            healthSystemId: row.healthSystemId,
          })),
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
