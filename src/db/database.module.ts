import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { PrismaService } from './prisma.service.js';
import type { SqlDriver } from './sql-driver.js';

export const APP_CONFIG = Symbol('AppConfig');
export const SQL_DRIVER = Symbol('SqlDriver');

/** Config, the raw driver and Prisma, for every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, driver: SqlDriver): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SQL_DRIVER, useValue: driver },
        { provide: PrismaService, useFactory: () => new PrismaService(driver) },
      ],
      exports: [APP_CONFIG, SQL_DRIVER, PrismaService],
    };
  }
}
