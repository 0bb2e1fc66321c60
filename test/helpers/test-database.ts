// One PostgreSQL database per test file, so Jest can run files in parallel.
//
// globalSetup (global-setup.ts) migrates a template database once per run;
// each file then clones it with CREATE DATABASE … TEMPLATE, which copies files
// instead of replaying migrations. Every database of a run is named
// musicpub_t_<runId>_…, so globalTeardown drops exactly this run's databases
// and leaves concurrent runs alone.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection URL for the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

export const DEFAULT_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Environment set by globalSetup and inherited by the Jest workers. */
export const TEST_ENV = {
  runId: 'MUSICPUB_TEST_RUN',
  template: 'MUSICPUB_TEST_TEMPLATE',
  adminUrl: 'MUSICPUB_TEST_ADMIN_URL',
} as const;

const OBJECT_IN_USE = '55006'; // "source database … is being accessed by other users"

export function runDatabasePrefix(runId: string): string {
  return `musicpub_t_${runId}_`;
}

/** `baseUrl` with its database swapped for `database`; credentials and options are kept. */
export function databaseUrl(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
}

/** A database of this run with every migration applied, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { template } = runEnvironment();
  return createRunDatabase(`TEMPLATE ${quoteIdentifier(template)}`);
}

/** A database of this run with nothing in it, for tests that apply migrations themselves. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  return createRunDatabase('');
}

async function createRunDatabase(clause: string): Promise<TestDatabase> {
  const { runId, adminUrl } = runEnvironment();
  const name = `${runDatabasePrefix(runId)}${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdentifier(name)} ${clause}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt === 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return { name, url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}

function runEnvironment(): { runId: string; template: string; adminUrl: string } {
  const runId = process.env[TEST_ENV.runId];
  const template = process.env[TEST_ENV.template];
  const adminUrl = process.env[TEST_ENV.adminUrl];
  if (!runId || !template || !adminUrl) {
    throw new Error(
      `${TEST_ENV.runId}/${TEST_ENV.template}/${TEST_ENV.adminUrl} are not set: run the tests through Jest, whose globalSetup creates them`,
    );
  }
  return { runId, template, adminUrl };
}
