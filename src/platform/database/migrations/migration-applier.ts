// Applies prisma/migrations to a PostgreSQL database.
//
// Why hand-written: `prisma migrate deploy` needs Prisma's Rust schema engine,
// which the CLI downloads on first use; offline (CI sandboxes, this project's
// embedded PGlite setup) it is not there. So the service applies the very same
// migration folders itself, and keeps Prisma's bookkeeping so either tool can
// take over from the other:
// - the same session advisory lock, pg_advisory_lock(72707369), with Prisma's
//   10 s wait (prisma-engines sql-schema-connector/src/flavour/postgres.rs),
//   so this and `prisma migrate deploy` never run at the same time;
// - the same `_prisma_migrations` table, created with Prisma's DDL, and rows
//   with Prisma's checksum (see migration-checksum.ts);
// - the same rules for failed, rolled-back and pending migrations (migration-plan.ts).
// One difference: Prisma runs a script as one multi-statement simple query and
// records a failure in `_prisma_migrations`; here the script and its row commit
// together in one transaction, so a failed migration leaves nothing behind and
// the next run simply tries it again.
//
// Only plain SQL over one `pg` connection, migration scripts sent with the
// simple query protocol, so it also works against the embedded PGlite.
import { randomUUID } from 'node:crypto';
import { Client, type QueryResultRow } from 'pg';
import { MigrationError } from './migration-error';
import { migrationChecksum } from './migration-checksum';
import { planMigrations, type MigrationRecord } from './migration-plan';
import { DEFAULT_MIGRATIONS_DIR, readMigrationsDirectory, type LocalMigration } from './migrations-directory';

export { MigrationError } from './migration-error';
export { DEFAULT_MIGRATIONS_DIR } from './migrations-directory';

export interface ApplyMigrationsOptions {
  connectionString: string;
  /** Defaults to `<repo>/prisma/migrations`. */
  migrationsDir?: string;
  /** Receives one line per applied migration. */
  log?: (line: string) => void;
  /** How long to wait for another migrator to finish; Prisma waits 10 s. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Local migrations the database already had. */
  alreadyApplied: string[];
}

/** "It does not have any meaning, but it should not be used by any other tool." (prisma-engines) */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const PRISMA_LOCK_TIMEOUT_MS = 10_000;
const LOCK_NOT_AVAILABLE = '55P03';

// Prisma's own DDL for PostgreSQL (PostgresFlavour::create_migrations_table).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export async function applyMigrations(options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const local = await readMigrationsDirectory(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const log = options.log ?? (() => undefined);

  const client = new Client({ connectionString: options.connectionString });
  // A connection lost mid-run surfaces as the failing query's error; without a
  // listener pg would also emit it as an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect().catch((error: unknown) => {
    throw new MigrationError(`cannot connect to the database: ${errorMessage(error)}`);
  });
  try {
    await acquireMigrateLock(client, options.lockTimeoutMs ?? PRISMA_LOCK_TIMEOUT_MS);
    try {
      const plan = planMigrations(local, await readMigrationHistory(client));
      const applied: string[] = [];
      const alreadyApplied = [...plan.alreadyApplied];
      for (const migration of plan.pending) {
        if (await applyOne(client, migration)) {
          applied.push(migration.name);
          log(`Applied migration ${migration.name}`);
        } else {
          alreadyApplied.push(migration.name);
        }
      }
      return { applied, alreadyApplied };
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function acquireMigrateLock(client: Client, timeoutMs: number): Promise<void> {
  await client.query(`SET lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
  try {
    await client.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
      throw new MigrationError(
        `timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})); ` +
          'another process is applying migrations to this database',
      );
    }
    throw new MigrationError(`cannot take the migration lock: ${errorMessage(error)}`);
  } finally {
    await client.query('RESET lock_timeout').catch(() => undefined);
  }
}

/** Creates `_prisma_migrations` if this is the first migration run, and reads it. */
async function readMigrationHistory(client: Client): Promise<MigrationRecord[]> {
  const { rows } = await client
    .query(CREATE_MIGRATIONS_TABLE)
    .then(() =>
      client.query<QueryResultRow>(
        `SELECT migration_name, checksum, started_at, finished_at, rolled_back_at, logs
           FROM _prisma_migrations ORDER BY started_at`,
      ),
    )
    .catch((error: unknown) => {
      throw new MigrationError(`cannot read _prisma_migrations: ${errorMessage(error)}`);
    });
  return rows.map((row) => ({
    migrationName: row.migration_name as string,
    checksum: row.checksum as string,
    startedAt: row.started_at as Date,
    finishedAt: row.finished_at as Date | null,
    rolledBackAt: row.rolled_back_at as Date | null,
    logs: row.logs as string | null,
  }));
}

/** Applies one migration with its bookkeeping row; false when another run got there first. */
async function applyOne(client: Client, migration: LocalMigration): Promise<boolean> {
  await client.query('BEGIN');
  try {
    // On PostgreSQL the advisory lock already rules this out. PGlite serves
    // every connection from its single backend session, so the lock excludes
    // nobody there, but it does queue other connections behind an open
    // transaction: checking inside ours keeps each migration applied once.
    const done = await client.query(
      `SELECT 1 FROM _prisma_migrations
        WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      [migration.name],
    );
    if (done.rowCount) {
      await client.query('ROLLBACK');
      return false;
    }
    // No parameters: pg sends the whole script with the simple query protocol,
    // which accepts many statements, as Prisma's engine does.
    await client.query(migration.script);
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
      [randomUUID(), migrationChecksum(migration.script), migration.name],
    );
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new MigrationError(
      `migration ${migration.name} failed and was rolled back: ${errorMessage(error, migration.script)}`,
      migration.name,
    );
  }
}

/** The database's message, its SQLSTATE and, when it points into the script, the line. */
function errorMessage(error: unknown, script?: string): string {
  if (!(error instanceof Error)) return String(error);
  const { code, position } = error as { code?: string; position?: string };
  // Node reports a refused dual-stack connect as an AggregateError with no message.
  const message = error.message || (error instanceof AggregateError ? error.errors.map((inner) => errorMessage(inner)).join('; ') : '') || code;
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) return message ?? 'unknown error';
  const line = script && position ? `, line ${script.slice(0, Number(position) - 1).split('\n').length}` : '';
  return `${message} (SQLSTATE ${code}${line})`;
}
