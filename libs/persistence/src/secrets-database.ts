import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type pg from 'pg';
import type { PrismaClient } from './generated/client.js';
import { createDatabaseClients, PrismaService } from './prisma.service.js';

/**
 * The database the local secret store keeps its versions in: the main one, or one of its own
 * (`LOCAL_SECRETS_DATABASE_URL`). With its own, PostgreSQL failing there is what an outage of
 * Secrets Manager is in AWS mode: the store's circuit breaker holds jobs back and the rest of
 * the broker keeps running. It is not connected at start-up: an unreachable store must not stop
 * the process, only open the circuit.
 */
@Injectable()
export class SecretsDatabase implements OnModuleDestroy {
  readonly client: PrismaClient;
  /** The pool `client` runs on. */
  readonly pool: pg.Pool;
  readonly #own: boolean;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig, prisma: PrismaService) {
    const url = config.secrets.backend === 'local' ? config.secrets.localDatabaseUrl : undefined;
    this.#own = url !== undefined && url !== config.database.url;
    const own = this.#own ? createDatabaseClients(url!) : undefined;
    this.client = own?.prisma ?? prisma;
    this.pool = own?.pool ?? prisma.pool;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.#own) await this.client.$disconnect();
  }
}
