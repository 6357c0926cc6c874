import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { PrismaClient } from './generated/client.js';

/**
 * The one database client of a process. Prisma's Rust-free client talks to PostgreSQL
 * through `pg` (no engine binary); see README "Why this Prisma setup".
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.database.url, max: config.database.poolSize }) });
  }

  /**
   * One query at start-up: an unreachable database fails the start instead of the first
   * request, and Prisma loads its (lazily imported) query compiler now rather than inside a
   * background loop.
   */
  async onModuleInit(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

/** Creates a client outside Nest (scripts, tests). */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
