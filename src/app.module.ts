import { Global, Module, type DynamicModule } from '@nestjs/common';
import { SecretBox } from './common/crypto/secret-box.js';
import type { AppConfig } from './config/app-config.js';
import { CoreModule } from './db/database.module.js';
import type { SqlDriver } from './db/sql-driver.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AwsModule } from './modules/aws/aws.module.js';
import { HealthController } from './modules/health/health.controller.js';
import { GraphqlApiModule } from './modules/graphql/graphql-api.module.js';
import { IdentityModule } from './modules/identity.module.js';
import { MetricsController } from './modules/metrics/metrics.controller.js';
import { MetricsService } from './modules/metrics/metrics.service.js';

@Global()
@Module({})
class SharedModule {
  static forRoot(config: AppConfig): DynamicModule {
    const [primary, ...others] = config.masterKeys;
    return {
      module: SharedModule,
      providers: [MetricsService, { provide: SecretBox, useValue: new SecretBox(primary, others) }],
      exports: [MetricsService, SecretBox],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, driver: SqlDriver): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, driver), SharedModule.forRoot(config), AuditModule, AwsModule, IdentityModule, GraphqlApiModule.forRoot(config)],
      controllers: [HealthController, MetricsController],
    };
  }
}
