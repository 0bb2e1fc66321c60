import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, loadConfig } from './app-config';

/**
 * Exposes one validated, typed AppConfig through @nestjs/config. The process
 * entry points (main, worker, CLI) load `.env` once, before anything else, so
 * this module reads no file. Tests pass `overrides` instead of mutating
 * process.env, so several apps can run in one process.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, cache: true })],
      providers: [
        {
          provide: AppConfig,
          // Validation happens here, once, while the module graph is built: a
          // bad setting stops the boot before anything listens.
          useFactory: () => loadConfig({ ...process.env, ...overrides }),
        },
      ],
      exports: [AppConfig],
    };
  }
}
