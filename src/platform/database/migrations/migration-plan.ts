// Decides what to apply from the local migrations and the `_prisma_migrations`
// rows, with the rules of `prisma migrate deploy`
// (prisma-engines, schema-engine/core/src/commands/apply_migrations.rs):
// - a row with neither finished_at nor rolled_back_at is a failed migration and
//   blocks everything until someone resolves it (P3009);
// - a rolled-back row does not count as applied, so that migration runs again;
// - rows for migrations that no longer exist locally are ignored.
// Unlike `migrate deploy`, an applied migration whose file changed since is
// refused too: the database would silently differ from what the file says.
import { MigrationError } from './migration-error';
import { scriptMatchesChecksum } from './migration-checksum';
import type { LocalMigration } from './migrations-directory';

/** One `_prisma_migrations` row, as far as planning needs it. */
export interface MigrationRecord {
  readonly migrationName: string;
  readonly checksum: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly rolledBackAt: Date | null;
  readonly logs: string | null;
}

export interface MigrationPlan {
  readonly pending: readonly LocalMigration[];
  readonly alreadyApplied: readonly string[];
}

export function planMigrations(local: readonly LocalMigration[], records: readonly MigrationRecord[]): MigrationPlan {
  const failed = records.filter((record) => record.finishedAt === null && record.rolledBackAt === null);
  if (failed.length > 0) {
    const details = failed.map((record) => {
      const logs = record.logs?.trim() ? ` with the following logs:\n${record.logs.trim()}` : '';
      return `the ${record.migrationName} migration started at ${record.startedAt.toISOString()} failed${logs}`;
    });
    throw new MigrationError(
      `found failed migrations in the target database, new migrations will not be applied (Prisma P3009): ${details.join('; ')}. ` +
        'Resolve them with `prisma migrate resolve --rolled-back <name>` or `--applied <name>` first.',
      failed[0].migrationName,
    );
  }

  const applied = new Map(
    records.filter((record) => record.rolledBackAt === null).map((record) => [record.migrationName, record]),
  );
  const pending: LocalMigration[] = [];
  const alreadyApplied: string[] = [];
  const modified: string[] = [];
  for (const migration of local) {
    const record = applied.get(migration.name);
    if (!record) pending.push(migration);
    else if (scriptMatchesChecksum(migration.script, record.checksum)) alreadyApplied.push(migration.name);
    else modified.push(migration.name);
  }

  if (modified.length > 0) {
    const subject = modified.length === 1 ? `migration ${modified[0]} was` : `migrations ${modified.join(', ')} were`;
    throw new MigrationError(
      `${subject} modified after it was applied: migration.sql no longer matches the checksum in _prisma_migrations. ` +
        'Restore the applied file and put the change in a new migration.',
      modified[0],
    );
  }
  return { pending, alreadyApplied };
}
