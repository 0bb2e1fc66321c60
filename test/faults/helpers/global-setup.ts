// globalSetup of `npm run test:faults`: the scenarios run the built artefacts,
// so build them if the sources changed, make sure PostgreSQL and Redis are up,
// and migrate this run's template database with the built CLI.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { databaseUrl, dropDatabase, quoteIdentifier, withAdminClient } from '../../helpers/test-database';
import { adminUrlFromEnvironment, FAULT_ENV, faultDatabasePrefix } from './fault-database';
import { deploymentEnv, ROOT, runCli } from './processes';
import { ensureServicesRunning } from './services';

export default async function globalSetup(): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  if (build.status !== 0) throw new Error(`build failed (exit ${build.status ?? build.signal})`);

  const adminUrl = adminUrlFromEnvironment();
  await ensureServicesRunning(adminUrl);
  const runId = randomBytes(4).toString('hex');
  const template = `${faultDatabasePrefix(runId)}tpl`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(template)}`));
  try {
    await runCli(['db:migrate'], deploymentEnv(databaseUrl(adminUrl, template)), 120_000);
  } catch (error) {
    // Jest skips globalTeardown when globalSetup fails.
    await dropDatabase(adminUrl, template);
    throw error;
  }
  process.env[FAULT_ENV.runId] = runId;
  process.env[FAULT_ENV.template] = template;
  process.env[FAULT_ENV.adminUrl] = adminUrl;
}
