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
  type RegistrationTransition as TransitionRow,
} from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';
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
  /** The site's registration policy, read with the rest so a plain RFC 7591 site costs no further lookup. */
  sitePolicy: SitePolicy;
}

export interface SitePolicy {
  /** The UDAP trust community the operator named for the site, if any. */
  udapCommunityId: string | null;
  /** The site requires a software statement (RFC 7591 §2.3) with every registration. */
  requiresSoftwareStatement: boolean;
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

/**
 * Who an explicit lifecycle action (offboarding, an app update, a changed site) acts on. The scope
 * is never implied: a tenant, or `ALL_TENANTS` said out loud (a site's registrations span tenants).
 */
export interface LifecycleTargetFilter {
  scope: TenantId | typeof ALL_TENANTS;
  states: RegistrationState[];
  appId?: string;
  healthSystemId?: string;
  /** Only rows holding a credential reference (a client exists at the site). */
  withCredential?: boolean;
}

/** The scope of an action on every tenant's registrations (a health system's changed endpoints). */
export const ALL_TENANTS = 'all-tenants' as const;

/**
 * The settled states a sweep acts on (a client exists and no job is working on it). Written into
 * the SQL of the due selections and the predicates of their partial indexes: a partial index is
 * only used when the query states its predicate literally, not as a statement parameter.
 */
export const SWEEPABLE_STATES: readonly RegistrationState[] = ['registered', 'failed'];

/** Where a due selection stopped, in its index order: the next page starts after it. */
export interface DueCursor {
  at: Date;
  id: string;
}

/** One page of registrations due for a sweep's action, and the cursor after its last row. */
export interface DuePage {
  targets: LifecycleTarget[];
  next: DueCursor | null;
}

/**
 * The rotation rule: a secret is due once less than `fraction` of its own lifetime is left
 * (lifetime from `clientSecretIssuedAt`, else the client's issue time, else the row's creation),
 * and at most `windowSeconds` left in any case. A one-hour secret is rotated in its last minutes,
 * not at every sweep; a one-year secret within the window.
 */
export interface RotationRule {
  now: Date;
  windowSeconds: number;
  fraction: number;
}

/** Sorts before every real time: the first page of a due selection. */
/**
 * The states a lifecycle action may start from, written into the statement as literals (from the
 * state machine, never input): PostgreSQL uses a partial index only when the query states its
 * predicate, and the sweep indexes (migration 20261203110000_sweep_due_indexes) are partial on them.
 */
const STARTABLE_LITERALS = Prisma.raw(RegistrationStates.startable.map((state) => `'${state}'`).join(', '));

const BEFORE_ALL: DueCursor = { at: new Date(-1), id: '00000000-0000-0000-0000-000000000000' };

export interface Transition {
  fromState: string | null;
  toState: string;
  reason: string | null;
  at: Date;
}

/** The newest entries of a registration's history or attempts, oldest first, and a cursor for older ones. */
export interface RecentEntries<T> {
  items: T[];
  /** For the paginated endpoint (`/history?cursor=`, `/attempts?cursor=`): the entries before these. */
  olderCursor: string | null;
}

function toTransition(row: TransitionRow): Transition {
  return { fromState: row.fromState, toState: row.toState, reason: row.reason, at: row.at };
}

/** States in which a registration's own job is presumed running (`retrying` waits for its next attempt time). */

const HISTORY = { table: 'RegistrationTransition', time: 'at' } as const;
const ATTEMPTS = { table: 'RegistrationAttempt', time: 'startedAt' } as const;

type Tx = Prisma.TransactionClient;

/** A malformed id finds nothing (rather than PostgreSQL refusing the cast to uuid). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const WITH_CONTEXT = { app: true, tenant: true, healthSystem: true } as const;

function toContext(row: Prisma.RegistrationGetPayload<{ include: typeof WITH_CONTEXT }>): RegistrationContext {
  return {
    registration: toRegistration(row),
    app: toApp(row.app),
    tenant: toTenant(row.tenant),
    healthSystem: toHealthSystem(row.healthSystem),
    sitePolicy: {
      udapCommunityId: row.healthSystem.udapCommunityId,
      requiresSoftwareStatement: row.healthSystem.requiresSoftwareStatement,
    },
  };
}

/**
 * The context as ONE `pg` query (a job's first read): every column of the four rows, each
 * prefixed with its table's alias, so the rows map with the same functions as Prisma's.
 * Prisma's `include` sent four statements for it, each a round trip.
 */
const CONTEXT_TABLES = [
  { alias: 'r', table: 'Registration', columns: Object.values(Prisma.RegistrationScalarFieldEnum) },
  { alias: 'a', table: 'App', columns: Object.values(Prisma.AppScalarFieldEnum) },
  { alias: 't', table: 'Tenant', columns: Object.values(Prisma.TenantScalarFieldEnum) },
  { alias: 'h', table: 'HealthSystem', columns: Object.values(Prisma.HealthSystemScalarFieldEnum) },
] as const;

const CONTEXT_SQL = `SELECT ${CONTEXT_TABLES.flatMap(({ alias, columns }) =>
  columns.map((column) => `${alias}."${column}" AS "${alias}.${column}"`),
).join(', ')}
  FROM "Registration" r
  JOIN "App" a ON a."id" = r."appId"
  JOIN "Tenant" t ON t."id" = r."tenantId"
  JOIN "HealthSystem" h ON h."id" = r."healthSystemId"
 WHERE r."id" = $1 AND r."tenantId" = $2`;

/** Each table's columns as [result column, field], computed once. */
const CONTEXT_COLUMNS: Record<string, ReadonlyArray<readonly [string, string]>> = Object.fromEntries(
  CONTEXT_TABLES.map(({ alias, columns }) => [
    alias,
    columns.map((column): readonly [string, string] => [`${alias}.${column}`, column]),
  ]),
);

function contextOfRow(row: Record<string, unknown>): RegistrationContext {
  const part = <T>(alias: (typeof CONTEXT_TABLES)[number]['alias']): T => {
    const out: Record<string, unknown> = {};
    for (const [key, field] of CONTEXT_COLUMNS[alias]!) out[field] = row[key];
    return out as T;
  };
  return toContext({
    ...part<Prisma.RegistrationGetPayload<object>>('r'),
    app: part('a'),
    tenant: part('t'),
    healthSystem: part('h'),
  });
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
  async findWithContext(tenantId: TenantId, id: string, tx?: Tx): Promise<RegistrationContext> {
    if (tx) {
      // Inside a transaction: it must see the change being recorded, so through its client.
      const row = await tx.registration.findFirst({ where: { id, tenantId }, include: WITH_CONTEXT });
      if (!row) throw new NotFoundError('registration', id);
      return toContext(row);
    }
    if (!UUID.test(id)) throw new NotFoundError('registration', id);
    const { rows } = await this.prisma.query('registration_context', CONTEXT_SQL, [id, tenantId]);
    if (!rows[0]) throw new NotFoundError('registration', id);
    return contextOfRow(rows[0]);
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
    // Indexes: (tenantId, createdAt, id); with ?appId= (appId, createdAt, id); with ?state=
    // (tenantId, state, createdAt, id). ?healthSystemId= and ?onboardingId= narrow to one site's or
    // one onboarding's registrations, which their own indexes find.
    return keysetPage<RegistrationRow, Registration>(
      this.prisma,
      { table: 'Registration', time: 'createdAt' },
      [
        uuidEquals('tenantId', tenantId),
        uuidEquals('appId', filter.appId),
        uuidEquals('healthSystemId', filter.healthSystemId),
        uuidEquals('onboardingId', filter.onboardingId),
        filter.state && Prisma.sql`"state" = ${filter.state}`,
      ],
      page,
      toRegistration,
    );
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
   * The row with its `recent` newest history entries and attempts, as of one instant: one
   * read-only REPEATABLE READ transaction, so a step completing meanwhile cannot show its new
   * state next to the old history (or a settled row next to a still-pending attempt). Bounded:
   * a registration verified daily for years reads as fast as a new one; older entries are a
   * cursor away (`historyPage`, `attemptsPage`).
   */
  async snapshot(
    tenantId: TenantId,
    id: string,
    recent: number,
  ): Promise<{
    registration: Registration;
    history: RecentEntries<Transition>;
    attempts: RecentEntries<RegistrationAttemptRow>;
  }> {
    return this.prisma.$transaction(
      async (tx) => {
        const row = await tx.registration.findFirst({ where: { id, tenantId } });
        if (!row) throw new NotFoundError('registration', id);
        const page = { limit: recent };
        const history = await keysetPage(tx, HISTORY, [uuidEquals('registrationId', id)], page, toTransition);
        const attempts = await keysetPage(
          tx,
          ATTEMPTS,
          [uuidEquals('tenantId', tenantId), uuidEquals('registrationId', id)],
          page,
          (attempt: RegistrationAttemptRow) => attempt,
        );
        return {
          registration: toRegistration(row),
          history: { items: history.items.reverse(), olderCursor: history.nextCursor },
          attempts: { items: attempts.items.reverse(), olderCursor: attempts.nextCursor },
        };
      },
      { isolationLevel: 'RepeatableRead' },
    );
  }

  /** A registration's history, newest first. Index (registrationId, at, id). */
  async historyPage(tenantId: TenantId, id: string, page: PageRequest): Promise<Page<Transition>> {
    await this.findById(tenantId, id); // the history table has no tenant column: the row proves ownership
    return keysetPage(this.prisma, HISTORY, [uuidEquals('registrationId', id)], page, toTransition);
  }

  /** A registration's attempts, newest first. Index (registrationId, startedAt, id). */
  async attemptsPage(tenantId: TenantId, id: string, page: PageRequest): Promise<Page<RegistrationAttemptRow>> {
    await this.findById(tenantId, id); // a 404 for another tenant's registration, not an empty page
    return keysetPage(
      this.prisma,
      ATTEMPTS,
      [uuidEquals('tenantId', tenantId), uuidEquals('registrationId', id)],
      page,
      (attempt: RegistrationAttemptRow) => attempt,
    );
  }

  /**
   * The registration's latest move into `state`, or null: one backward step on the index
   * (registrationId, at, id) until a row matches, which is the newest or nearly so for the state a
   * registration is in now. Never the whole history, however long it grew.
   */
  async lastEntryInto(id: string, state: RegistrationState): Promise<Transition | null> {
    const row = await this.prisma.registrationTransition.findFirst({
      where: { registrationId: id, toState: state },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
    });
    return row && toTransition(row);
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
   * One index range per state (`(state, updatedAt)`, `(state, nextAttemptAt)`), each at most
   * `limit` rows: the cost follows the stalled rows, not the fleet. Written per state because a
   * prepared statement's generic plan cannot tell how many rows `state IN ($1, $2, $3)` matches
   * and, at 100k registrations, chose a parallel scan of the whole table (see bench:scale).
   */
  async findStalled(
    graceMs: number,
    limit: number,
  ): Promise<Array<Pick<Registration, 'id' | 'tenantId' | 'healthSystemId'>>> {
    const before = new Date(Date.now() - graceMs);
    const rows = await this.prisma.$queryRaw<Array<{ id: string; tenantId: string; healthSystemId: string }>>`
      SELECT "id"::text AS "id", "tenantId"::text AS "tenantId", "healthSystemId"::text AS "healthSystemId" FROM (
        SELECT r.* FROM (SELECT * FROM unnest(${[...RegistrationStates.firstRegistration]}::text[]) AS s("state")) s
         CROSS JOIN LATERAL (
           SELECT "id", "tenantId", "healthSystemId", "updatedAt" AS "since" FROM "Registration"
            WHERE "state" = s."state" AND "updatedAt" < ${before}::timestamptz
            ORDER BY "updatedAt" LIMIT ${limit}) r
        UNION ALL
        (SELECT "id", "tenantId", "healthSystemId", "nextAttemptAt" AS "since" FROM "Registration"
          WHERE "state" = 'retrying' AND "nextAttemptAt" < ${before}::timestamptz
          ORDER BY "nextAttemptAt" LIMIT ${limit})
      ) stalled ORDER BY "since" LIMIT ${limit}`;
    return rows.map((row) => ({ ...row, tenantId: trustedTenantId(row.tenantId) }));
  }

  /**
   * Registrations held in one of `states` (a lifecycle action's own state) with no progress for
   * longer than `graceMs` and no retry due later: the job working on them is presumed lost.
   * One `(state, updatedAt)` index range per state, as in `findStalled`.
   */
  async findStalledIn(
    states: readonly RegistrationState[],
    graceMs: number,
    limit: number,
  ): Promise<Array<LifecycleTarget & Pick<Registration, 'state'>>> {
    const before = new Date(Date.now() - graceMs);
    const rows = await this.prisma.$queryRaw<
      Array<{ id: string; tenantId: string; healthSystemId: string; state: string }>
    >`
      SELECT r."id"::text AS "id", r."tenantId"::text AS "tenantId", r."healthSystemId"::text AS "healthSystemId", s."state"
        FROM (SELECT * FROM unnest(${[...states]}::text[]) AS s("state")) s
       CROSS JOIN LATERAL (
         SELECT "id", "tenantId", "healthSystemId", "updatedAt" FROM "Registration"
          WHERE "state" = s."state" AND "updatedAt" < ${before}::timestamptz
            AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" < ${before}::timestamptz)
          ORDER BY "updatedAt" LIMIT ${limit}) r
       ORDER BY r."updatedAt" LIMIT ${limit}`;
    return rows.map((row) => ({
      ...row,
      tenantId: trustedTenantId(row.tenantId),
      state: row.state as RegistrationState,
    }));
  }

  /**
   * Registrations an explicit lifecycle action (offboarding, app update, changed site) acts on, in
   * id order (keyset paging with `afterId`). The periodic sweeps use the due selections below.
   */
  async findLifecycleTargets(
    filter: LifecycleTargetFilter,
    afterId: string | undefined,
    limit: number,
  ): Promise<LifecycleTarget[]> {
    const rows = await this.prisma.registration.findMany({
      where: {
        state: { in: filter.states },
        ...(filter.scope !== ALL_TENANTS && { tenantId: filter.scope }),
        ...(filter.appId && { appId: filter.appId }),
        ...(filter.healthSystemId && { healthSystemId: filter.healthSystemId }),
        ...(filter.withCredential && { credentialSecret: { not: null } }),
        ...(afterId && { id: { gt: afterId } }),
      },
      select: { id: true, tenantId: true, healthSystemId: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({ ...row, tenantId: trustedTenantId(row.tenantId) }));
  }

  /**
   * Registrations due for verification, all tenants: settled with a client, and not verified since
   * `verifiedBefore` (never verified first). One range of the partial index
   * `Registration_verify_due_idx` on `(COALESCE("lastVerifiedAt", 'epoch'), id)`, oldest first:
   * rows verified recently, in flight, deleted or without a client are never read.
   */
  async findDueForVerify(verifiedBefore: Date, after: DueCursor | null, limit: number): Promise<DuePage> {
    const from = after ?? BEFORE_ALL;
    const rows = await this.prisma.$queryRaw<DueRow[]>`
      SELECT "id"::text AS "id", "tenantId"::text AS "tenantId", "healthSystemId"::text AS "healthSystemId",
             COALESCE("lastVerifiedAt", 'epoch'::timestamptz) AS "at"
        FROM "Registration"
       WHERE "state" IN (${STARTABLE_LITERALS}) AND "credentialSecret" IS NOT NULL
         AND COALESCE("lastVerifiedAt", 'epoch'::timestamptz) < ${verifiedBefore}::timestamptz
         AND (COALESCE("lastVerifiedAt", 'epoch'::timestamptz), "id") > (${from.at}::timestamptz, ${from.id}::uuid)
       ORDER BY COALESCE("lastVerifiedAt", 'epoch'::timestamptz), "id" LIMIT ${limit}`;
    return duePage(rows);
  }

  /**
   * Registrations whose secret is due for rotation by `rule`, all tenants, soonest expiry first.
   * The window is the index bound (partial index `Registration_rotation_due_idx` on
   * `("clientSecretExpiresAt", id)` over settled rows with a client and an expiring secret): secrets
   * expiring later are never read. The fraction is a filter within that range, so a secret shorter
   * than window / fraction is read from when it enters the window until it is due.
   */
  async findDueForRotation(rule: RotationRule, after: DueCursor | null, limit: number): Promise<DuePage> {
    const { now, windowSeconds, fraction } = rule;
    const from = after ?? BEFORE_ALL;
    const rows = await this.prisma.$queryRaw<DueRow[]>`
      SELECT "id"::text AS "id", "tenantId"::text AS "tenantId", "healthSystemId"::text AS "healthSystemId",
             "clientSecretExpiresAt" AS "at"
        FROM "Registration"
       WHERE "state" IN (${STARTABLE_LITERALS}) AND "credentialSecret" IS NOT NULL
         AND "clientSecretExpiresAt" IS NOT NULL
         AND "clientSecretExpiresAt" < ${now}::timestamptz + make_interval(secs => ${windowSeconds}::double precision)
         AND ("clientSecretExpiresAt", "id") > (${from.at}::timestamptz, ${from.id}::uuid)
         AND "clientSecretExpiresAt" - ${now}::timestamptz <
             ("clientSecretExpiresAt" - COALESCE("clientSecretIssuedAt", "clientIdIssuedAt", "createdAt")) * ${fraction}::double precision
       ORDER BY "clientSecretExpiresAt", "id" LIMIT ${limit}`;
    return duePage(rows);
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

interface DueRow {
  id: string;
  tenantId: string;
  healthSystemId: string;
  at: Date;
}

function duePage(rows: DueRow[]): DuePage {
  const last = rows.at(-1);
  return {
    targets: rows.map(({ id, tenantId, healthSystemId }) => ({
      id,
      healthSystemId,
      tenantId: trustedTenantId(tenantId),
    })),
    next: last ? { at: last.at, id: last.id } : null,
  };
}
