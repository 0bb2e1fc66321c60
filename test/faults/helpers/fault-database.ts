// Databases of one fault run: globalSetup migrates a template with the built
// CLI (`node dist/cli/main.js db:migrate`, as a deployment does); each scenario
// clones it. Every name starts with musicpub_f_<runId>_, so globalTeardown drops
// this run's databases and nothing else on the shared cluster.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, dropDatabase, quoteIdentifier, withAdminClient } from '../../helpers/test-database';

export const FAULT_ENV = {
  runId: 'MUSICPUB_FAULTS_RUN',
  template: 'MUSICPUB_FAULTS_TEMPLATE',
  adminUrl: 'MUSICPUB_FAULTS_ADMIN_URL',
} as const;

export function faultDatabasePrefix(runId: string): string {
  return `musicpub_f_${runId}_`;
}

export function adminUrlFromEnvironment(): string {
  return databaseUrl(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres', 'postgres');
}

export interface FaultDatabase {
  name: string;
  url: string;
  /** Runs one query on a short-lived connection of its own (the app's pools are not the test's). */
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

function runEnvironment(): { runId: string; template: string; adminUrl: string } {
  const runId = process.env[FAULT_ENV.runId];
  const template = process.env[FAULT_ENV.template];
  const adminUrl = process.env[FAULT_ENV.adminUrl];
  if (!runId || !template || !adminUrl) throw new Error('run the fault suite through `npm run test:faults` (its globalSetup prepares the databases)');
  return { runId, template, adminUrl };
}

export function adminUrl(): string {
  return runEnvironment().adminUrl;
}

/** A migrated database of this run. */
export async function createFaultDatabase(): Promise<FaultDatabase> {
  const { runId, template, adminUrl } = runEnvironment();
  const name = `${faultDatabasePrefix(runId)}${randomBytes(5).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`));
  const url = databaseUrl(adminUrl, name);
  return {
    name,
    url,
    async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    drop: () => dropDatabase(adminUrl, name),
  };
}
