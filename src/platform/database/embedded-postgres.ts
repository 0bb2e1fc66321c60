import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * Development-only database: PostgreSQL compiled to WebAssembly (PGlite),
 * persisted under ./.data/ and served on a loopback port through
 * pglite-socket so the app reaches it through the very same pg/Prisma adapter
 * path as a real server. Never used when NODE_ENV=production (AppConfig
 * refuses to start without DATABASE_URL there).
 *
 * PGlite runs one query at a time: while one connection holds a transaction,
 * the others wait. The code base therefore never waits on a second connection
 * while it holds a transaction.
 *
 * Only one process can open the data directory, so the process that serves it
 * writes its URL to `.data/embedded-url`; the CLI connects there while the API
 * is running instead of opening the files a second time.
 */
export interface EmbeddedPostgres {
  url: string;
  /** False when this process reused another process's running server. */
  owned: boolean;
  stop(): Promise<void>;
}

const DATA_ROOT = path.resolve('.data');
const URL_FILE = path.join(DATA_ROOT, 'embedded-url');

export async function startEmbeddedPostgres(dataDir = path.join(DATA_ROOT, 'pglite')): Promise<EmbeddedPostgres> {
  const running = await findRunningServer();
  if (running) return { url: running, owned: false, stop: async () => undefined };

  mkdirSync(dataDir, { recursive: true });
  // Loaded lazily: production never pays for (or depends on) the wasm build.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 20 });
  await server.start();
  const url = `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  writeFileSync(URL_FILE, url, { mode: 0o600 });
  return {
    url,
    owned: true,
    async stop() {
      rmSync(URL_FILE, { force: true });
      await server.stop();
      await db.close();
    },
  };
}

async function findRunningServer(): Promise<string | undefined> {
  let url: string;
  try {
    url = readFileSync(URL_FILE, 'utf8').trim();
  } catch {
    return undefined;
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return url;
  } catch {
    rmSync(URL_FILE, { force: true });
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
