import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DestinationStream } from 'pino';
import { createApp } from './app.factory';
import { loadConfig } from './config/app-config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './platform/database/embedded-postgres';
import { applyMigrations } from './platform/database/migrations/migration-applier';
import { releaseStartupGarbage } from './platform/memory/startup-garbage';

export interface StartServerOptions {
  env: Record<string, string | undefined>;
  /** Apply prisma/migrations before serving (`npm start`); the embedded database is always migrated. */
  migrate?: boolean;
  /** Where the embedded database lives (default ./.data/pglite). */
  embeddedDataDir?: string;
  logDestination?: DestinationStream;
  announce?: (line: string) => void;
}

export interface RunningServer {
  app: NestExpressApplication;
  url: string;
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

/**
 * Everything `npm start` does after reading the environment: validate the
 * configuration, fall back to the embedded development database when no
 * DATABASE_URL is set, migrate, give back the memory booting used, and listen.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const announce = options.announce ?? ((line: string) => console.log(line));
  const config = loadConfig(options.env);
  const overrides: Record<string, string> = {};
  let databaseUrl = config.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;

  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(options.embeddedDataDir);
    databaseUrl = overrides.DATABASE_URL = embedded.url;
    announce(
      '\n*** DEVELOPMENT DATABASE: no DATABASE_URL is set, so musicpub runs on an embedded PostgreSQL (PGlite) kept in ./.data/pglite.\n' +
        '*** It is for trying the API only: set DATABASE_URL to a real PostgreSQL server for anything else.\n',
    );
  }
  if (embedded || options.migrate) {
    await applyMigrations({ connectionString: databaseUrl, log: announce });
  }

  const app = await createApp({
    env: { ...options.env, ...overrides },
    logDestination: options.logDestination,
    httpsOptions: config.tlsCertFile
      ? // Nest hands these to https.createServer; its type omits minVersion, Node's does not.
        ({ cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile!), minVersion: 'TLSv1.2' } as HttpsOptions)
      : undefined,
  });
  releaseStartupGarbage();
  await app.listen(config.port);
  const address = app.getHttpServer().address() as { port: number };
  const url = `${config.tlsCertFile ? 'https' : 'http'}://localhost:${address.port}`;
  announce(`musicpub listening on ${url} (API docs at ${url}/docs)`);
  return {
    app,
    url,
    embedded,
    async close() {
      // Stop serving before Nest's shutdown hooks run: Nest calls onModuleDestroy
      // (the database pool, the passport strategies) before it closes the HTTP
      // server, which would fail the requests still in flight.
      await stopServing(app.getHttpServer() as Server, SHUTDOWN_DRAIN_MS);
      await app.close();
      await embedded?.stop();
    },
  };
}

/** How long in-flight requests get after SIGTERM before their connections are cut (orchestrators usually allow 30 s). */
export const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * Graceful shutdown, HTTP side (API guide: Operations): stop accepting connections, close
 * idle keep-alive ones, let requests in flight finish; at the deadline, cut
 * what is left (a stalled upload then removes its temporary file, as on any
 * client abort).
 */
function stopServing(server: Server, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
