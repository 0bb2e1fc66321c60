import { existsSync } from 'node:fs';
import { applyTunedNodeFlags } from './node-flags';

async function main(): Promise<void> {
  // Loaded only here, after applyTunedNodeFlags, which may replace the process.
  const { ConfigError } = await import('./config/app-config');
  const { applyDevelopmentSecrets } = await import('./config/development-secrets');
  const { startServer } = await import('./server');
  try {
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
  } catch (error) {
    // A configuration problem is one clear line, not a stack trace.
    if (error instanceof ConfigError) {
      console.error(`musicpub: configuration error: ${error.message}`);
    } else {
      console.error('musicpub: failed to start:', error instanceof Error ? error.message : error);
    }
    process.exit(1);
  }
}

// First, before anything of the app is loaded: .env (which may set
// MUSICPUB_NODE_FLAGS), then the V8 flags, which may replace the process.
if (existsSync('.env')) process.loadEnvFile('.env');
applyTunedNodeFlags();
main().catch((error: unknown) => {
  console.error('musicpub: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
