import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SECRET_STORE, type SecretStore } from '#domain';
import { BROKER_CONFIG, loadConfig } from '#config';
import { PrismaService } from '#persistence';
import { SecretsModule } from './secrets.module.js';
import { RateLimitedSecretStore } from './rate-limit/rate-limited-secret-store.js';

/** Stands in for the app's own module that provides the config and the database client. */
@Module({
  providers: [
    {
      provide: BROKER_CONFIG,
      useValue: loadConfig({ OPERATOR_TOKEN: 'o'.repeat(32), LOCAL_SECRETS_KEY: randomBytes(32).toString('base64') }),
    },
    PrismaService,
  ],
  exports: [BROKER_CONFIG, PrismaService],
})
class AppInfrastructureModule {}

describe('SecretsModule', () => {
  it('provides SECRET_STORE from the app-provided config and PrismaService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SecretsModule.forRoot({ imports: [AppInfrastructureModule] })],
    }).compile();

    const store = moduleRef.get<SecretStore>(SECRET_STORE);

    expect(store).toBeInstanceOf(RateLimitedSecretStore);
    expect(store.backend).toBe('local');
    await moduleRef.close();
  });
});
