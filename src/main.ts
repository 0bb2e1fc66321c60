import { existsSync, readFileSync } from 'node:fs';
import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './platform/database/embedded-postgres';
import { applyMigrations } from './platform/database/migrations/migration-applier';
import { applyDevelopmentSecrets } from './config/development-secrets';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  applyDevelopmentSecrets(process.env);
  const config = loadConfig(process.env);
  const env: Record<string, string> = {};
  let databaseUrl = config.databaseUrl;

  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres();
    databaseUrl = env.DATABASE_URL = embedded.url;
    console.warn(
      '\n*** DEVELOPMENT DATABASE: no DATABASE_URL is set, so musicpub runs on an embedded PostgreSQL (PGlite) kept in ./.data/pglite. ***\n' +
        '*** It is for trying the API only. Set DATABASE_URL to a real PostgreSQL server for anything else.                        ***\n',
    );
  }
  // The embedded database is always migrated; a real one when `npm start` asks (--migrate).
  if (env.DATABASE_URL || process.argv.includes('--migrate')) {
    await applyMigrations({ connectionString: databaseUrl, log: (line) => console.log(line) });
  }

  const app = await createApp({
    env,
    httpsOptions: config.tlsCertFile
      ? // Nest hands these to https.createServer; its type omits minVersion, Node's does not.
        ({ cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile!), minVersion: 'TLSv1.2' } as HttpsOptions)
      : undefined,
  });
  await app.listen(config.port, '0.0.0.0');
  console.log(`musicpub listening on ${config.tlsCertFile ? 'https' : 'http'}://localhost:${config.port} (docs at /docs)`);
}

main().catch((error: unknown) => {
  // A configuration problem is one clear line, not a stack trace.
  if (error instanceof ConfigError) {
    console.error(`musicpub: configuration error: ${error.message}`);
  } else {
    console.error('musicpub: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
