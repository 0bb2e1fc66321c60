// globalTeardown of `npm run test:faults`: PostgreSQL and Redis are running
// again (whatever a scenario did), and every database of this run is dropped.
import { dropDatabase, withAdminClient } from '../../helpers/test-database';
import { adminUrlFromEnvironment, FAULT_ENV, faultDatabasePrefix } from './fault-database';
import { ensureServicesRunning } from './services';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env[FAULT_ENV.adminUrl] ?? adminUrlFromEnvironment();
  await ensureServicesRunning(adminUrl);
  const runId = process.env[FAULT_ENV.runId];
  if (!runId) return;
  const prefix = faultDatabasePrefix(runId);
  const { rows } = await withAdminClient(adminUrl, (client) =>
    // left() rather than LIKE: "_" in the prefix would be a wildcard.
    client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1', [prefix]),
  );
  for (const { datname } of rows) await dropDatabase(adminUrl, datname);
}
