import { MigrationError } from './migration-error';
import { migrationChecksum } from './migration-checksum';
import { planMigrations, type MigrationRecord } from './migration-plan';

const first = { name: '20260101000000_first', script: 'CREATE TABLE "a" ("id" TEXT);\n' };
const second = { name: '20260102000000_second', script: 'CREATE TABLE "b" ("id" TEXT);\n' };
const startedAt = new Date('2026-01-01T00:00:00Z');

function applied(migration: { name: string; script: string }, overrides: Partial<MigrationRecord> = {}): MigrationRecord {
  return {
    migrationName: migration.name,
    checksum: migrationChecksum(migration.script),
    startedAt,
    finishedAt: startedAt,
    rolledBackAt: null,
    logs: null,
    ...overrides,
  };
}

function planError(run: () => unknown): MigrationError {
  try {
    run();
  } catch (error) {
    if (error instanceof MigrationError) return error;
    throw error;
  }
  throw new Error('expected a MigrationError');
}

describe('planMigrations', () => {
  it('applies everything, in order, to an empty history', () => {
    expect(planMigrations([first, second], [])).toEqual({ pending: [first, second], alreadyApplied: [] });
  });

  it('skips what is applied and unchanged', () => {
    expect(planMigrations([first, second], [applied(first)])).toEqual({ pending: [second], alreadyApplied: [first.name] });
  });

  it('treats a checkout that converted LF to CRLF as unchanged', () => {
    const crlf = { ...first, script: first.script.replaceAll('\n', '\r\n') };
    expect(planMigrations([crlf], [applied(first)]).alreadyApplied).toEqual([first.name]);
  });

  it('refuses, naming it, an applied migration whose file changed, and plans nothing', () => {
    const edited = { ...first, script: `${first.script}ALTER TABLE "a" ADD COLUMN "x" TEXT;\n` };
    const error = planError(() => planMigrations([edited, second], [applied(first)]));
    expect(error.message).toContain(`migration ${first.name} was modified after it was applied`);
    expect(error.migrationName).toBe(first.name);
  });

  it('refuses to go on past a failed migration (P3009), naming it and quoting its logs', () => {
    const failed = applied(second, { finishedAt: null, logs: 'relation "nowhere" does not exist' });
    const error = planError(() => planMigrations([first, second], [applied(first), failed]));
    expect(error.message).toContain('P3009');
    expect(error.message).toContain(`the ${second.name} migration started at 2026-01-01T00:00:00.000Z failed`);
    expect(error.message).toContain('relation "nowhere" does not exist');
    expect(error.migrationName).toBe(second.name);
  });

  it('applies a rolled-back migration again, as prisma migrate deploy does', () => {
    const rolledBack = applied(first, { finishedAt: null, rolledBackAt: startedAt });
    expect(planMigrations([first], [rolledBack])).toEqual({ pending: [first], alreadyApplied: [] });
  });

  it('ignores rows for migrations that are not in the directory', () => {
    expect(planMigrations([second], [applied(first)])).toEqual({ pending: [second], alreadyApplied: [] });
  });
});
