import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { AppLogger } from './platform/logging/app-logger';
import { ConfigError, loadConfig } from './config/app-config';
import { applyDevelopmentSecrets } from './config/development-secrets';
import { startEmbeddedPostgres } from './platform/database/embedded-postgres';
import { applyMigrations } from './platform/database/migrations/migration-applier';
import { releaseStartupGarbage } from './platform/memory/startup-garbage';
import { WorkerModule } from './worker.module';

/**
 * `npm run worker`: webhook fan-out and delivery in a process of its own
 * (API guide: Webhooks), beside or instead of the API's in-process loops. Any number may
 * run against one database. SIGTERM/SIGINT finish the attempts in flight and
 * record them before exiting.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  applyDevelopmentSecrets(process.env);
  const config = loadConfig(process.env);
  // Without DATABASE_URL (development), join the embedded database the API serves.
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres();
  if (embedded?.owned) await applyMigrations({ connectionString: embedded.url });
  const env = { ...process.env, ...(embedded ? { DATABASE_URL: embedded.url } : {}) };

  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  await app.init();
  releaseStartupGarbage();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app
        .close()
        .then(() => embedded?.stop())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`musicpub worker: configuration error: ${error.message}`);
  else console.error('musicpub worker: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
