import { existsSync } from 'node:fs';
import { ConfigError } from './config/app-config';
import { applyDevelopmentSecrets } from './config/development-secrets';
import { startServer } from './server';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  applyDevelopmentSecrets(process.env);
  const server = await startServer({ env: process.env, migrate: process.argv.includes('--migrate') });
  // Graceful shutdown: stop accepting, let in-flight requests finish, close the database.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
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
