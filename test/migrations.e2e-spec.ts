// The migration applier against real PostgreSQL (and PGlite behind
// the embedded database's session server): what it writes, what it refuses, and
// that it never applies a migration twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  applyMigrations,
} from '../src/platform/database/migrations/migration-applier';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './helpers/test-database';

const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const databases: TestDatabase[] = [];
const tempDirs: string[] = [];
let migrationNames: string[];

beforeAll(async () => {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  migrationNames = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  expect(migrationNames.length).toBeGreaterThan(0);
});

afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  databases.push(database);
  return database;
}

/** A scratch copy of prisma/migrations, optionally with extra migrations after the real ones. */
async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'musicpub-migrations-'));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, script] of Object.entries(extra)) await writeMigration(dir, name, script);
  return dir;
}

async function writeMigration(dir: string, name: string, script: string): Promise<void> {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, 'migration.sql'), script);
}

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await query<{ found: string | null }>(url, 'SELECT to_regclass($1)::text AS found', [`public.${table}`]);
  return row.found !== null;
}

async function recordedNames(url: string): Promise<string[]> {
  const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations ORDER BY 1');
  return rows.map((row) => row.migration_name);
}

async function rejection(promise: Promise<unknown>): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof MigrationError)) throw new Error(`expected a MigrationError, got ${String(error)}`);
  return error;
}

describe('applyMigrations', () => {
  let database: TestDatabase;
  let firstRun: { applied: string[]; alreadyApplied: string[] };
  const logLines: string[] = [];

  beforeAll(async () => {
    database = await emptyDatabase();
    firstRun = await applyMigrations({ connectionString: database.url, log: (line) => logLines.push(line) });
  });

  it('applies every migration to a fresh database, in order, logging each', async () => {
    expect(firstRun).toEqual({ applied: migrationNames, alreadyApplied: [] });
    expect(logLines).toEqual(migrationNames.map((name) => `Applied migration ${name}`));
    expect(await tableExists(database.url, 'organizations')).toBe(true);
  });

  it("records each migration in _prisma_migrations with Prisma's row shape and checksum", async () => {
    const rows = await query<Record<string, unknown>>(database.url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const file = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name as string, 'migration.sql'));
      expect(row).toEqual({
        id: expect.stringMatching(UUID),
        checksum: createHash('sha256').update(file).digest('hex'),
        finished_at: expect.any(Date),
        migration_name: row.migration_name,
        logs: null,
        rolled_back_at: null,
        started_at: expect.any(Date),
        applied_steps_count: 1,
      });
      expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual((row.started_at as Date).getTime());
    }
  });

  it('creates _prisma_migrations exactly as Prisma Migrate does on PostgreSQL', async () => {
    const columns = await query(
      database.url,
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
    );
    const column = (name: string, type: string, length: number | null, nullable: boolean, fallback: string | null = null) => ({
      column_name: name,
      data_type: type,
      length,
      is_nullable: nullable ? 'YES' : 'NO',
      column_default: fallback,
    });
    expect(columns).toEqual([
      column('id', 'character varying', 36, false),
      column('checksum', 'character varying', 64, false),
      column('finished_at', 'timestamp with time zone', null, true),
      column('migration_name', 'character varying', 255, false),
      column('logs', 'text', null, true),
      column('rolled_back_at', 'timestamp with time zone', null, true),
      column('started_at', 'timestamp with time zone', null, false, 'now()'),
      column('applied_steps_count', 'integer', null, false, '0'),
    ]);
    const primaryKey = await query(
      database.url,
      `SELECT a.attname AS column_name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = '_prisma_migrations'::regclass AND i.indisprimary`,
    );
    expect(primaryKey).toEqual([{ column_name: 'id' }]);
  });

  it('does nothing when run again', async () => {
    const before = await query(database.url, 'SELECT * FROM _prisma_migrations ORDER BY id');
    const lines: string[] = [];

    const rerun = await applyMigrations({ connectionString: database.url, log: (line) => lines.push(line) });

    expect(rerun).toEqual({ applied: [], alreadyApplied: migrationNames });
    expect(lines).toEqual([]);
    expect(await query(database.url, 'SELECT * FROM _prisma_migrations ORDER BY id')).toEqual(before);
  });
});

describe('data migrations', () => {
  it('20261205005000_release_upc_unique keeps each shared UPC/EAN on the oldest release of the organization only', async () => {
    const name = '20261205005000_release_upc_unique';
    const database = await emptyDatabase();
    const dir = await migrationsCopy();
    // The database as it was before: every migration up to this one.
    for (const later of migrationNames.filter((migration) => migration >= name)) await rm(path.join(dir, later), { recursive: true });
    await applyMigrations({ connectionString: database.url, migrationsDir: dir });
    await query(database.url, `INSERT INTO organizations (id, name) VALUES ('org_a', 'A'), ('org_b', 'B')`);
    const release = (id: string, org: string, upc: string | null, createdAt: string) =>
      query(
        database.url,
        `INSERT INTO releases (id, org_id, title, artists, upc, territories, created_at, updated_at) VALUES ($1, $2, 'T', '{A}', $3, '{WW}', $4, $4)`,
        [id, org, upc, createdAt],
      );
    await release('rel_3', 'org_a', '036000291452', '2026-01-01T00:00:00Z'); // oldest: keeps it
    await release('rel_2', 'org_a', '0036000291452', '2026-01-02T00:00:00Z'); // same product, EAN-13 spelling
    await release('rel_1', 'org_a', '036000291452', '2026-01-02T00:00:00Z'); // same time: the id decides
    await release('rel_4', 'org_b', '036000291452', '2026-01-03T00:00:00Z'); // another organization
    await release('rel_5', 'org_a', null, '2026-01-01T00:00:00Z');
    await release('rel_6', 'org_a', null, '2026-01-01T00:00:00Z');

    await applyMigrations({ connectionString: database.url });

    expect(await query(database.url, 'SELECT id, upc, version FROM releases ORDER BY id')).toEqual([
      { id: 'rel_1', upc: null, version: 2 },
      { id: 'rel_2', upc: null, version: 2 },
      { id: 'rel_3', upc: '036000291452', version: 1 },
      { id: 'rel_4', upc: '036000291452', version: 1 },
      { id: 'rel_5', upc: null, version: 1 },
      { id: 'rel_6', upc: null, version: 1 },
    ]);
    await expect(release('rel_7', 'org_a', '036000291452', '2026-01-04T00:00:00Z')).rejects.toThrow(/releases_org_id_upc_key/);
  });
});

describe('applyMigrations refusals', () => {
  const later = '29991231000000_later';
  const laterScript = 'CREATE TABLE "later_table" ("id" TEXT NOT NULL);\n';

  it('refuses, naming it, an applied migration whose file was modified, and applies nothing', async () => {
    const database = await emptyDatabase();
    const dir = await migrationsCopy();
    await applyMigrations({ connectionString: database.url, migrationsDir: dir });
    const [first] = migrationNames;
    const firstFile = path.join(dir, first, 'migration.sql');
    await writeFile(firstFile, `${await readFile(firstFile, 'utf8')}ALTER TABLE "organizations" ADD COLUMN "sneaky" TEXT;\n`);
    await writeMigration(dir, later, laterScript);

    const error = await rejection(applyMigrations({ connectionString: database.url, migrationsDir: dir }));

    expect(error.message).toContain(`migration ${first} was modified after it was applied`);
    expect(error.migrationName).toBe(first);
    expect(await tableExists(database.url, 'later_table')).toBe(false);
    expect(await recordedNames(database.url)).toEqual(migrationNames);
    const sneaky = await query(database.url, "SELECT 1 FROM information_schema.columns WHERE column_name = 'sneaky'");
    expect(sneaky).toEqual([]);
  });

  it('accepts an applied file whose line endings a checkout changed, as Prisma does', async () => {
    const database = await emptyDatabase();
    const dir = await migrationsCopy();
    await applyMigrations({ connectionString: database.url, migrationsDir: dir });
    for (const name of migrationNames) {
      const file = path.join(dir, name, 'migration.sql');
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    }

    const rerun = await applyMigrations({ connectionString: database.url, migrationsDir: dir });

    expect(rerun).toEqual({ applied: [], alreadyApplied: migrationNames });
  });

  it('rolls back a failing migration, names it with the database error, records nothing, and retries it next run', async () => {
    const broken = '29991231000000_broken';
    const database = await emptyDatabase();
    const dir = await migrationsCopy({
      [broken]: 'CREATE TABLE "half_done" ("id" TEXT NOT NULL);\nSELECT * FROM "nowhere";\n',
    });

    const error = await rejection(applyMigrations({ connectionString: database.url, migrationsDir: dir }));

    expect(error.migrationName).toBe(broken);
    expect(error.message).toBe(
      `migration ${broken} failed and was rolled back: relation "nowhere" does not exist (SQLSTATE 42P01, line 2)`,
    );
    expect(await tableExists(database.url, 'half_done')).toBe(false);
    expect(await recordedNames(database.url)).toEqual(migrationNames);

    await writeMigration(dir, broken, 'CREATE TABLE "half_done" ("id" TEXT NOT NULL);\n');
    const retry = await applyMigrations({ connectionString: database.url, migrationsDir: dir });

    expect(retry).toEqual({ applied: [broken], alreadyApplied: migrationNames });
    expect(await tableExists(database.url, 'half_done')).toBe(true);
  });

  it('refuses to go on past a migration Prisma recorded as failed (P3009), naming it', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const dir = await migrationsCopy({ [later]: laterScript });
    await query(
      database.url,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at)
       VALUES ('00000000-0000-4000-8000-000000000000', $1, $2, 'boom', now())`,
      [createHash('sha256').update(laterScript).digest('hex'), later],
    );

    const error = await rejection(applyMigrations({ connectionString: database.url, migrationsDir: dir }));

    expect(error.message).toContain('P3009');
    expect(error.message).toContain(`the ${later} migration started at`);
    expect(error.migrationName).toBe(later);
    expect(await tableExists(database.url, 'later_table')).toBe(false);
  });
});

describe('applyMigrations concurrency', () => {
  it('applies each migration exactly once when two runs race on a fresh database', async () => {
    const slow = '29991231000000_slow';
    const database = await emptyDatabase();
    const dir = await migrationsCopy({ [slow]: 'SELECT pg_sleep(0.3);\nCREATE TABLE "slow_table" ("id" TEXT NOT NULL);\n' });
    const all = [...migrationNames, slow];

    const runs = await Promise.all([
      applyMigrations({ connectionString: database.url, migrationsDir: dir }),
      applyMigrations({ connectionString: database.url, migrationsDir: dir }),
    ]);

    expect(runs.flatMap((run) => run.applied).sort()).toEqual(all);
    expect(runs.map((run) => run.applied.length).sort()).toEqual([0, all.length]);
    expect(await recordedNames(database.url)).toEqual(all);
  });

  it("waits on Prisma Migrate's own advisory lock and gives up like Prisma when it is held", async () => {
    const database = await emptyDatabase();
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);

      const error = await rejection(applyMigrations({ connectionString: database.url, lockTimeoutMs: 300 }));

      expect(error.message).toMatch(/^timed out after 300 ms waiting for the migration lock \(pg_advisory_lock\(72707369\)\)/);
      expect(await tableExists(database.url, '_prisma_migrations')).toBe(false);
    } finally {
      await holder.end();
    }
    expect((await applyMigrations({ connectionString: database.url })).applied).toEqual(migrationNames);
  });
});

describe('applyMigrations against PGlite behind the embedded session server', () => {
  // PGlite loads its wasm through dynamic import(), which Jest's module sandbox
  // cannot run, so the embedded server runs in a child process, as in dev
  // (SWC strips the types of session-server.ts, as under Jest).
  const serverScript = `
    const fs = require('node:fs');
    const { transformSync } = require('@swc/core');
    const options = { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } };
    require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
    const { PgliteSessionServer } = require('./src/platform/database/embedded/session-server.ts');
    (async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create();
      const server = new PgliteSessionServer(db);
      const { host, port } = await server.start();
      process.stdout.write(host + ':' + port + '\\n');
      process.stdin.on('end', () => server.stop().then(() => db.close()).then(() => process.exit(0)));
      process.stdin.resume();
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, ['-e', serverScript], { cwd: path.resolve(__dirname, '..'), stdio: ['pipe', 'pipe', 'inherit'] });
    const address = await new Promise<string>((resolve, reject) => {
      let output = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) resolve(output.trim());
      });
      server.once('exit', (code) => reject(new Error(`PGlite server exited with ${code}`)));
    });
    url = `postgresql://postgres@${address}/postgres`;
  }, 90_000); // compiling PGlite's wasm takes a while on a loaded machine

  afterAll(async () => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin?.end();
    await exited;
  });

  it('applies each migration exactly once when two runs race, then nothing', async () => {
    const runs = await Promise.all([applyMigrations({ connectionString: url }), applyMigrations({ connectionString: url })]);

    expect(runs.flatMap((run) => run.applied).sort()).toEqual(migrationNames);
    expect(await applyMigrations({ connectionString: url })).toEqual({ applied: [], alreadyApplied: migrationNames });
    expect(await recordedNames(url)).toEqual(migrationNames);
    expect(await tableExists(url, 'organizations')).toBe(true);
  });
});
