// Jest globalSetup: migrates one template database for the whole run and tells
// the workers (which inherit process.env) where it is. See test-database.ts.
import { randomBytes } from 'node:crypto';
import { applyMigrations } from '../../src/platform/database/migrations/migration-applier';
import {
  DEFAULT_ADMIN_URL,
  TEST_ENV,
  databaseUrl,
  dropDatabase,
  quoteIdentifier,
  runDatabasePrefix,
  withAdminClient,
} from './test-database';

export default async function globalSetup(): Promise<void> {
  // CREATE/DROP DATABASE run from the server's maintenance database.
  const adminUrl = databaseUrl(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL, 'postgres');
  const runId = randomBytes(4).toString('hex');
  const template = `${runDatabasePrefix(runId)}tpl`;

  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(template)}`));
  try {
    await applyMigrations({ connectionString: databaseUrl(adminUrl, template) });
  } catch (error) {
    // Jest skips globalTeardown when globalSetup fails.
    await dropDatabase(adminUrl, template);
    throw error;
  }

  process.env[TEST_ENV.runId] = runId;
  process.env[TEST_ENV.template] = template;
  process.env[TEST_ENV.adminUrl] = adminUrl;
}
