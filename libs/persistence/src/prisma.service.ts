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
  return `p${createHash('sha1').update(query.sql).digest('base64url')}`;
}

function adapterFor(pool: pg.Pool, { preparedStatements = true }: DatabaseOptions): PrismaPg {
  return new PrismaPg(pool, {
    // The process's pool: the adapter ends it when the client disconnects.
    disposeExternalPool: true,
    // The adapter sends a query unnamed when the generator returns undefined (its type says string).
    ...(preparedStatements ? { statementNameGenerator: (query) => statementName(query) as string } : {}),
  });
}

function poolFor({ url, poolSize }: DatabaseOptions): pg.Pool {
  return new pg.Pool({ connectionString: url, ...(poolSize ? { max: poolSize } : {}) });
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
  return new PrismaClient({ adapter: adapterFor(poolFor({ url: databaseUrl }), { url: databaseUrl }) });
}
