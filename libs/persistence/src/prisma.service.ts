import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { PrismaClient } from './generated/client.js';

/**
 * The one database client of a process. Prisma's Rust-free client talks to PostgreSQL
 * through `pg` (no engine binary); see README "Why this Prisma setup".
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.database.url, max: config.database.poolSize }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}

/** Creates a client outside Nest (scripts, tests). */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
