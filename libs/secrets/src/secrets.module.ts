import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { SECRET_STORE } from '#domain';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { PrismaService } from '#persistence';
import { createSecretStore } from './create-secret-store.js';

/**
 * Optional injection token: an ioredis connection the app provides to share the secret write
 * rate limit across the fleet. Without it each process limits its own writes.
 */
export const SECRETS_REDIS = Symbol('SecretsRedis');

/**
 * Provides `SECRET_STORE` to the whole app. The app provides `BROKER_CONFIG` and `PrismaService`
 * (and optionally `SECRETS_REDIS`), globally or through the modules passed in `imports`.
 */
@Module({})
export class SecretsModule {
  static forRoot(options: { imports?: ModuleMetadata['imports'] } = {}): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: SECRET_STORE,
          inject: [BROKER_CONFIG, PrismaService, { token: SECRETS_REDIS, optional: true }],
          useFactory: (config: BrokerConfig, prisma: PrismaService, redis?: Redis) =>
            createSecretStore(config, { prisma, redis }),
        },
      ],
      exports: [SECRET_STORE],
    };
  }
}
