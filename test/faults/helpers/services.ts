// Stopping and starting the machine's real PostgreSQL cluster and Redis, and
// making sure both are up again whatever a test did. A restart affects every
// database on the cluster, which is why `npm run test:faults` runs after
// `npm test`, never beside it, and one file at a time (jest.faults.config.js).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** The cluster CI runs (`pg_lsclusters`); override for another layout. */
const PG_VERSION = process.env.FAULTS_PG_VERSION ?? '15';
const PG_CLUSTER = process.env.FAULTS_PG_CLUSTER ?? 'main';
const REDIS_PORT = 6379;

async function pgCtlCluster(action: 'start' | 'stop'): Promise<void> {
  // --skip-systemctl-redirect: CI has no systemd; pg_ctlcluster drives pg_ctl directly.
  // stop -m fast: disconnect clients at once (SQLSTATE 57P01), as a failover or OOM restart does.
  const args = ['--skip-systemctl-redirect', PG_VERSION, PG_CLUSTER, action, ...(action === 'stop' ? ['-m', 'fast'] : [])];
  await run('pg_ctlcluster', args, { timeout: 60_000 });
}

export async function postgresAccepts(adminUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function stopPostgres(): Promise<void> {
  await pgCtlCluster('stop');
}

/** Starts the cluster and waits until it accepts queries. */
export async function startPostgres(adminUrl: string): Promise<void> {
  if (!(await postgresAccepts(adminUrl))) {
    await pgCtlCluster('start').catch(async (error: unknown) => {
      // "already running" is fine; anything else is worth the message.
      if (!(await postgresAccepts(adminUrl))) throw error;
    });
  }
  const deadline = Date.now() + 30_000;
  while (!(await postgresAccepts(adminUrl))) {
    if (Date.now() > deadline) throw new Error('PostgreSQL did not accept connections within 30 s of starting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function redisAnswers(): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(REDIS_PORT), 'ping'], { timeout: 2000 });
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

/** Starts Redis the way CI does if it does not answer PING. */
export async function ensureRedis(): Promise<void> {
  if (await redisAnswers()) return;
  await run(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'],
    { timeout: 10_000 },
  );
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers())) {
    if (Date.now() > deadline) throw new Error('Redis did not answer PING within 10 s of starting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Both services up (afterAll and globalTeardown): a failing test must not leave them down. */
export async function ensureServicesRunning(adminUrl: string): Promise<void> {
  const results = await Promise.allSettled([startPostgres(adminUrl), ensureRedis()]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) throw new Error(`could not restore services: ${failures.map((e) => e.message).join('; ')}`);
}
