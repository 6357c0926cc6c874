import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { BrokerConfig } from '#config';
import { loggerOptions } from '#observability';
import { CoreModule } from '#registration';

@Module({})
export class WorkerModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config), LoggerModule.forRoot({ pinoHttp: loggerOptions(config.logLevel, 'broker-worker') })],
    };
  }
}
