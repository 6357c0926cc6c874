import { Injectable } from '@nestjs/common';
import {
  NotFoundError,
  assertTransition,
  type App,
  type HealthSystem,
  type Tenant,
  type ClientMetadata,
  type Page,
  type PageRequest,
  type Registration,
  type RegistrationError,
  type RegistrationState,
} from '#domain';
import {
  Prisma,
  type Registration as RegistrationRow,
  type RegistrationAttempt as RegistrationAttemptRow,
} from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetQuery, toPage } from './pagination.js';
import { asJson, boundedNote, remoteJson, remoteJsonValue, secretRefOf } from './json.js';
import { toApp } from './app.repository.js';
import { toHealthSystem } from './health-system.repository.js';
import { toTenant } from './tenant.repository.js';
import { RegistrationStates, trustedTenantId, type RegistrationColumns, type TenantId } from '#domain';

export function toRegistration(row: RegistrationRow): Registration {
  return {
    id: row.id,
    tenantId: trustedTenantId(row.tenantId),
    appId: row.appId,
    healthSystemId: row.healthSystemId,
    onboardingId: row.onboardingId,
    state: row.state as RegistrationState,
    metadataVersion: row.metadataVersion,
    requestedMetadata: row.requestedMetadata as unknown as ClientMetadata,
    grantedMetadata: row.grantedMetadata as Record<string, unknown> | null,
    metadataDifferences: row.metadataDifferences as unknown[] | null,
    clientId: row.clientId,
    clientIdIssuedAt: row.clientIdIssuedAt,
    clientSecretExpiresAt: row.clientSecretExpiresAt,
    clientSecretIssuedAt: row.clientSecretIssuedAt,
    credential: secretRefOf(row.credentialSecret, row.credentialVersion),
    managementSupported: row.managementSupported,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError as RegistrationError | null,
    drift: row.drift as unknown[] | null,
    managementBaseline: row.managementBaseline as Record<string, unknown> | null,
    lastVerifiedAt: row.lastVerifiedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A registration with the records an event about it names. */
export interface RegistrationContext {
  registration: Registration;
  app: App;
  tenant: Tenant;
  healthSystem: HealthSystem;
}

export interface RegistrationFilter {
  appId?: string;
  healthSystemId?: string;
  state?: RegistrationState;
  onboardingId?: string;
}

export interface StateChange {
  from: RegistrationState;
  to: RegistrationState;
  reason?: string;
  /** Columns written together with the state, in the same statement. */
  set?: RegistrationColumns;
}

const JSON_COLUMNS = ['grantedMetadata', 'metadataDifferences', 'lastError', 'drift', 'managementBaseline'] as const;

/** The typed columns as Prisma writes them: `null` in a JSON column is the database's NULL. */
function toRowUpdate(set: RegistrationColumns = {}): Prisma.RegistrationUncheckedUpdateManyInput {
  const row: Prisma.RegistrationUncheckedUpdateManyInput = { ...set } as Prisma.RegistrationUncheckedUpdateManyInput;
  if (set.requestedMetadata !== undefined) row.requestedMetadata = asJson(set.requestedMetadata);
  for (const column of JSON_COLUMNS) {
    const value = set[column];
    if (value === null) row[column] = Prisma.DbNull;
    else if (value !== undefined) row[column] = asJson(value);
  }
  return row;
}

/**
 * `grantedMetadata` is what a site answered: every write path stores it bounded (see
 * `remoteJson`), and the state reason says what was cut, so the registration still succeeds.
 */
export function boundGrantedMetadata(change: StateChange): Pick<StateChange, 'set' | 'reason'> {
  const { grantedMetadata: granted, metadataDifferences: differences, managementBaseline: baseline } = change.set ?? {};
  const isDocument = (value: unknown): value is object => !!value && typeof value === 'object';
  if (!isDocument(granted) && !isDocument(differences) && !isDocument(baseline)) return change;
  const set = { ...change.set };
  const notes: string[] = [];
  if (isDocument(granted)) {
    const bounded = remoteJson(granted);
    set.grantedMetadata = bounded.json as object;
    notes.push(...bounded.notes);
  }
  // The differences quote what the site granted, so they are bounded the same way.
  if (isDocument(differences)) set.metadataDifferences = remoteJsonValue(differences).json as object[];
  // The management baseline is what a site's RFC 7592 read showed: a remote document too.
  if (isDocument(baseline)) set.managementBaseline = remoteJson(baseline).json as object;
  const reason = notes.length ? [change.reason, boundedNote(notes)].filter(Boolean).join('; ') : change.reason;
  return { set, reason };
}

/** What a lifecycle job needs to be enqueued for one registration. */
export type LifecycleTarget = Pick<Registration, 'id' | 'tenantId' | 'healthSystemId'>;

export interface LifecycleTargetFilter {
  states: RegistrationState[];
  tenantId?: string;
  appId?: string;
  healthSystemId?: string;
  /** Only rows holding a credential reference (a client exists at the site). */
  withCredential?: boolean;
  secretExpiringBefore?: Date;
  /**
   * Secrets due for rotation by their own lifetime: less than `fraction` of it left (lifetime from
   * `clientSecretIssuedAt`, else the client's issue time, else the row's creation), and at most
   * `windowSeconds` left in any case. A one-hour secret is rotated in its last minutes, not at
   * every sweep; a one-year secret within the window.
   */
  secretDue?: { now: Date; windowSeconds: number; fraction: number };
  ids?: string[];
}

export interface Transition {
  fromState: string | null;
  toState: string;
  reason: string | null;
  at: Date;
}

type Tx = Prisma.TransactionClient;

const WITH_CONTEXT = { app: true, tenant: true, healthSystem: true } as const;

function toContext(row: Prisma.RegistrationGetPayload<{ include: typeof WITH_CONTEXT }>): RegistrationContext {
  return {
    registration: toRegistration(row),
    app: toApp(row.app),
    tenant: toTenant(row.tenant),
    healthSystem: toHealthSystem(row.healthSystem),
  };
}

@Injectable()
export class RegistrationRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findById(tenantId: TenantId, id: string): Promise<Registration> {
    const row = await this.prisma.registration.findFirst({ where: { id, tenantId } });
    if (!row) throw new NotFoundError('registration', id);
    return toRegistration(row);
  }

  /** One query, inside `tx` so it sees the change being recorded. */
  async findWithContext(tenantId: TenantId, id: string, tx: Tx = this.prisma): Promise<RegistrationContext> {
    const row = await tx.registration.findFirst({ where: { id, tenantId }, include: WITH_CONTEXT });
    if (!row) throw new NotFoundError('registration', id);
    return toContext(row);
  }

  /** Every registration of an onboarding with its context, in one query (one event per site). */
  async findContextsOfOnboarding(
    tenantId: TenantId,
    onboardingId: string,
    tx: Tx = this.prisma,
  ): Promise<RegistrationContext[]> {
    const rows = await tx.registration.findMany({
      where: { onboardingId, tenantId },
      include: WITH_CONTEXT,
      orderBy: { id: 'asc' },
    });
    return rows.map(toContext);
  }

  async list(tenantId: TenantId, filter: RegistrationFilter, page: PageRequest): Promise<Page<Registration>> {
    const query = keysetQuery(page);
    const rows = await this.prisma.registration.findMany({ ...query, where: { ...query.where, ...filter, tenantId } });
    return toPage(rows, page, toRegistration);
  }

  async countByState(tenantId: TenantId, onboardingId: string): Promise<Partial<Record<RegistrationState, number>>> {
    const groups = await this.prisma.registration.groupBy({
      by: ['state'],
      where: { tenantId, onboardingId },
      _count: { _all: true },
    });
    return Object.fromEntries(groups.map((group) => [group.state, group._count._all]));
  }

  /**
   * The row, its history and its attempts as of one instant: one read-only REPEATABLE READ
   * transaction, so a step completing meanwhile cannot show its new state next to the old
   * history (or a settled row next to a still-pending attempt).
   */
  async snapshot(
    tenantId: TenantId,
    id: string,
  ): Promise<{ registration: Registration; history: Transition[]; attempts: RegistrationAttemptRow[] }> {
    return this.prisma.$transaction(
      async (tx) => {
        const row = await tx.registration.findFirst({ where: { id, tenantId } });
        if (!row) throw new NotFoundError('registration', id);
        const history = await tx.registrationTransition.findMany({
          where: { registrationId: id },
          orderBy: [{ at: 'asc' }, { id: 'asc' }],
          select: { fromState: true, toState: true, reason: true, at: true },
        });
        const attempts = await tx.registrationAttempt.findMany({
          where: { tenantId, registrationId: id },
          orderBy: { startedAt: 'asc' },
        });
        return { registration: toRegistration(row), history, attempts };
      },
      { isolationLevel: 'RepeatableRead' },
    );
  }

  async history(tenantId: TenantId, id: string): Promise<Transition[]> {
    await this.findById(tenantId, id);
    return this.prisma.registrationTransition.findMany({
      where: { registrationId: id },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      select: { fromState: true, toState: true, reason: true, at: true },
    });
  }

  /**
   * Moves a registration from `change.from` to `change.to` if (and only if) it is still in
   * `from`: a compare-and-set, so two workers racing on one registration cannot both win.
   * Returns false when the row was elsewhere. Illegal transitions throw (a bug, not a race).
   * The history row is written by a database trigger (migration 20261126120000) from `stateReason`.
   */
  async transition(tenantId: TenantId, id: string, change: StateChange, tx: Tx = this.prisma): Promise<boolean> {
    assertTransition(change.from, change.to);
    const { set, reason } = boundGrantedMetadata(change);
    const { count } = await tx.registration.updateMany({
      where: { id, tenantId, state: change.from },
      data: { ...toRowUpdate(set), state: change.to, stateReason: reason ?? null },
    });
    return count === 1;
  }

  /**
   * Registrations that should have a job but show no progress: queued or in flight for
   * longer than `graceMs`, or retrying past their next attempt time by as much. All tenants.
   */
  async findStalled(
    graceMs: number,
    limit: number,
  ): Promise<Array<Pick<Registration, 'id' | 'tenantId' | 'healthSystemId'>>> {
    const before = new Date(Date.now() - graceMs);
    const rows = await this.prisma.registration.findMany({
      where: {
        OR: [
          { state: { in: [...RegistrationStates.firstRegistration] }, updatedAt: { lt: before } },
          { state: 'retrying', nextAttemptAt: { lt: before } },
        ],
      },
      select: { id: true, tenantId: true, healthSystemId: true },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({ ...row, tenantId: trustedTenantId(row.tenantId) }));
  }

  /**
   * Registrations held in one of `states` (a lifecycle action's own state) with no progress for
   * longer than `graceMs` and no retry due later: the job working on them is presumed lost.
   */
  async findStalledIn(
    states: readonly RegistrationState[],
    graceMs: number,
    limit: number,
  ): Promise<Array<LifecycleTarget & Pick<Registration, 'state'>>> {
    const before = new Date(Date.now() - graceMs);
    const rows = await this.prisma.registration.findMany({
      where: {
        state: { in: [...states] },
        updatedAt: { lt: before },
        OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lt: before } }],
      },
      select: { id: true, tenantId: true, healthSystemId: true, state: true },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({
      ...row,
      tenantId: trustedTenantId(row.tenantId),
      state: row.state as RegistrationState,
    }));
  }

  /**
   * Registrations a lifecycle sweep or an offboarding acts on, in id order (keyset paging with
   * `afterId`). Without `tenantId` it spans every tenant: the schedulers run fleet-wide.
   */
  async findLifecycleTargets(
    filter: LifecycleTargetFilter,
    afterId: string | undefined,
    limit: number,
  ): Promise<LifecycleTarget[]> {
    if (filter.secretDue) {
      const { now, windowSeconds, fraction } = filter.secretDue;
      const due = await this.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT "id" FROM "Registration"
        WHERE "clientSecretExpiresAt" IS NOT NULL
          AND "clientSecretExpiresAt" - ${now}::timestamptz < LEAST(
            make_interval(secs => ${windowSeconds}::double precision),
            ("clientSecretExpiresAt" - COALESCE("clientSecretIssuedAt", "clientIdIssuedAt", "createdAt")) * ${fraction}::double precision)
          AND "state" = ANY(${filter.states}::text[])
          AND (${afterId ?? null}::uuid IS NULL OR "id" > ${afterId ?? null}::uuid)
        ORDER BY "id" LIMIT ${limit}`;
      if (!due.length) return [];
      return this.findLifecycleTargets(
        { ...filter, secretDue: undefined, ids: due.map((row) => row.id) } as LifecycleTargetFilter,
        undefined,
        limit,
      );
    }
    const rows = await this.prisma.registration.findMany({
      where: {
        state: { in: filter.states },
        ...(filter.tenantId && { tenantId: filter.tenantId }),
        ...(filter.appId && { appId: filter.appId }),
        ...(filter.healthSystemId && { healthSystemId: filter.healthSystemId }),
        ...(filter.withCredential && { credentialSecret: { not: null } }),
        ...(filter.secretExpiringBefore && { clientSecretExpiresAt: { lt: filter.secretExpiringBefore } }),
        ...(filter.ids && { id: { in: filter.ids } }),
        ...(afterId && { id: { gt: afterId } }),
      },
      select: { id: true, tenantId: true, healthSystemId: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({ ...row, tenantId: trustedTenantId(row.tenantId) }));
  }

  /**
   * Points the row at another version of its credential without a state change: a management
   * response rotated the registration access token mid-operation and the new one is stored.
   */
  async setCredentialVersion(tenantId: TenantId, id: string, versionId: string, tx: Tx = this.prisma): Promise<void> {
    await tx.registration.updateMany({ where: { id, tenantId }, data: { credentialVersion: versionId } });
  }

  /** Records the last error without changing state (e.g. while a retry is scheduled). */
  async recordError(tenantId: TenantId, id: string, error: RegistrationError, tx: Tx = this.prisma): Promise<void> {
    await tx.registration.updateMany({ where: { id, tenantId }, data: { lastError: asJson(error) } });
  }
}
