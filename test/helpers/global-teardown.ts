// Jest globalTeardown: drops every database this run created (the template and
// any a test file did not drop itself), and nothing belonging to other runs.
import { TEST_ENV, dropDatabase, runDatabasePrefix, withAdminClient } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const runId = process.env[TEST_ENV.runId];
  const adminUrl = process.env[TEST_ENV.adminUrl];
  if (!runId || !adminUrl) return;

  const prefix = runDatabasePrefix(runId);
  const { rows } = await withAdminClient(adminUrl, (client) =>
    // left() rather than LIKE: "_" in the prefix would be a wildcard.
    client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1', [prefix]),
  );
  for (const { datname } of rows) await dropDatabase(adminUrl, datname);
}
