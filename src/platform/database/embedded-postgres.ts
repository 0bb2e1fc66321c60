import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { PgliteSessionServer } from './embedded/session-server';

/**
 * Development-only database: PostgreSQL compiled to WebAssembly (PGlite),
 * persisted under ./.data/ and served on a loopback port by our session
 * server (embedded/session-server.ts) so the app reaches it through the very
 * same pg/Prisma adapter path as a real server. Never used when
 * NODE_ENV=production (AppConfig refuses to start without DATABASE_URL there).
 *
 * PGlite is one backend: the session server gives it to one connection at a
 * time, for a whole extended-protocol sequence or a whole transaction, and
 * the others wait. The code base therefore never waits on a second
 * connection while it holds a transaction.
 *
 * Only one process can open the data directory, so the process that serves it
 * writes its URL to `.data/pglite.url`; the CLI and the worker connect there
 * while the API is running instead of opening the files a second time, and so
 * go through the same one-at-a-time discipline as the API's own pool.
 */
export interface EmbeddedPostgres {
  url: string;
  /** False when this process reused another process's running server. */
  owned: boolean;
  stop(): Promise<void>;
}

export const DEFAULT_EMBEDDED_DATA_DIR = path.resolve('.data', 'pglite');

export async function startEmbeddedPostgres(dataDir = DEFAULT_EMBEDDED_DATA_DIR): Promise<EmbeddedPostgres> {
  // The URL file sits beside the data directory it describes.
  const urlFile = `${dataDir}.url`;
  const running = await findRunningServer(urlFile);
  if (running) return { url: running, owned: false, stop: async () => undefined };

  mkdirSync(dataDir, { recursive: true });
  // Loaded lazily: production never pays for (or depends on) the wasm build.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  const server = new PgliteSessionServer(db);
  const stop = async () => {
    rmSync(urlFile, { force: true });
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
  };
  try {
    const { host, port } = await server.start('127.0.0.1', 0);
    const url = `postgresql://postgres:postgres@${host}:${port}/postgres?sslmode=disable`;
    writeFileSync(urlFile, url, { mode: 0o600 });
    return { url, owned: true, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function findRunningServer(urlFile: string): Promise<string | undefined> {
  let url: string;
  try {
    url = readFileSync(urlFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return url;
  } catch {
    rmSync(urlFile, { force: true });
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
