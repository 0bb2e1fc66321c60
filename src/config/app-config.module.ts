import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, loadConfig } from './app-config';

/**
 * Reads the environment through @nestjs/config (which also loads `.env` when
 * present) and exposes one validated, typed AppConfig. Tests pass `overrides`
 * instead of mutating process.env, so several apps can run in one process.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    const readDotEnv = Object.keys(overrides).length === 0;
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: !readDotEnv, envFilePath: '.env', cache: true })],
      providers: [
        {
          provide: AppConfig,
          // ConfigModule.forRoot has already merged `.env` into process.env (real
          // variables win). Validation happens here, once, while the module graph
          // is built: a bad setting stops the boot before anything listens.
          useFactory: () => loadConfig({ ...process.env, ...overrides }),
        },
      ],
      exports: [AppConfig],
    };
  }
}
