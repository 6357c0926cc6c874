import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { PrismaClient } from './generated/client.js';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** Server-side prepared statements, named after their SQL (see `DATABASE_PREPARED_STATEMENTS`). */
  preparedStatements?: boolean;
}

/**
 * Statements with more parameters than this stay unnamed: their SQL varies with the length of a
 * list, and naming each variant would fill every connection with statements used once.
 */
const MAX_NAMED_STATEMENT_PARAMETERS = 32;

/**
 * A statement's name is a digest of its SQL: the same SQL always gets the same name, so each
 * connection parses and plans it once, and two different statements never share a name.
 * `undefined` (unnamed) for statements with long parameter lists.
 */
export function statementName(query: { sql: string; args: unknown[] }): string | undefined {
  if (query.args.length > MAX_NAMED_STATEMENT_PARAMETERS) return undefined;
  let name = STATEMENT_NAMES.get(query.sql);
  if (name === undefined) {
    // A process sends a few hundred shapes; the cap only guards against a generator of shapes.
    if (STATEMENT_NAMES.size >= 2_000) STATEMENT_NAMES.clear();
    name = `p${createHash('sha1').update(query.sql).digest('base64url')}`;
    STATEMENT_NAMES.set(query.sql, name);
  }
  return name;
}

/** Digests already computed: hashing every query's SQL again showed in the worker's profile. */
const STATEMENT_NAMES = new Map<string, string>();

function adapterFor(pool: pg.Pool, { preparedStatements = true }: DatabaseOptions): PrismaPg {
  return new PrismaPg(pool, {
    // The process's pool: the adapter ends it when the client disconnects.
    disposeExternalPool: true,
    // The adapter sends a query unnamed when the generator returns undefined (its type says string).
    ...(preparedStatements ? { statementNameGenerator: (query) => statementName(query) as string } : {}),
  });
}

function poolFor({ url, poolSize, preparedStatements = true }: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    ...(poolSize ? { max: poolSize } : {}),
    // Prepared statements on their generic plan from the first run: PostgreSQL otherwise plans the
    // first five runs for their parameter values, and keeps doing so while that looks cheaper,
    // which for the ledger's multi-row statements it always did: planning at every Bind was about
    // 1 ms of PostgreSQL CPU per registration (statement log of `bench:onboarding`). The periodic
    // queries and list pages are built and measured for generic plans (`bench:scale` runs them
    // so). A startup parameter, so it holds from the connection's first statement. Unnamed
    // statements (behind a pooler) are planned at every run anyway, and poolers may refuse it.
    ...(preparedStatements ? { options: withGenericPlans(url) } : {}),
  });
  // An idle connection the server ends (a restart, pg_terminate_backend, a database refusing
  // connections) makes the pool emit 'error', which with no listener ends the process. Prisma's
  // adapter listens only once Prisma has connected, and code reading this pool directly (the
  // ledger, the local secret store, whose database may be unreachable from the start) may use
  // it first. The pool drops that connection by itself; the next query opens another and
  // reports its own error.
  pool.on('error', () => undefined);
  return pool;
}

/** The URL's own `options` (if any) with the generic-plan setting added. */
function withGenericPlans(url: string): string {
  const own = URL.canParse(url) ? new URL(url).searchParams.get('options') : null;
  return [own, '-c plan_cache_mode=force_generic_plan'].filter(Boolean).join(' ');
}

/**
 * The one database client of a process. Prisma 7's Rust-free client talks to PostgreSQL
 * through `pg` (no engine binary) and caches the plan of each query shape, so a repeated
 * query costs no compilation; see README "Why this Prisma setup".
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  /** The pool Prisma's adapter runs on, shared with the code that writes plain SQL (the registration ledger). */
  readonly pool: pg.Pool;
  /** Whether statements on `pool` may be named (server-side prepared): false behind a pooler that cannot keep them. */
  readonly preparedStatements: boolean;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    const pool = poolFor(config.database);
    super({ adapter: adapterFor(pool, config.database) });
    this.pool = pool;
    this.preparedStatements = config.database.preparedStatements ?? true;
  }

  /**
   * A plain `pg` query on the same pool, for the engine's hot reads (Prisma's per-call CPU is
   * several times pg's: `npm run bench:database-calls`). Named, so each connection parses and
   * plans it once, unless the pooler cannot keep prepared statements.
   */
  query<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(this.preparedStatements ? { name, text, values } : { text, values });
  }

  /** One query at start-up: an unreachable database fails the start instead of the first request. */
  async onModuleInit(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

/** Creates a client outside Nest (scripts, tests). */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return createDatabaseClients(databaseUrl).prisma;
}

/** A client and the pool it runs on, for code that also writes plain SQL (the local secret store). */
export function createDatabaseClients(databaseUrl: string): { prisma: PrismaClient; pool: pg.Pool } {
  const pool = poolFor({ url: databaseUrl });
  return { prisma: new PrismaClient({ adapter: adapterFor(pool, { url: databaseUrl }) }), pool };
}
