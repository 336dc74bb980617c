import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { ensureSecretKey, loadConfig } from './load-config.js';

/**
 * Provides the validated AppConfig everywhere. Pass a config in tests; the apps pass the one
 * built in main.ts so that an invalid environment fails before Nest starts.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useFactory: () => config ?? ensureSecretKey(loadConfig(process.env)) }],
      exports: [AppConfig],
    };
  }
}
