// Reads prisma/migrations the way Prisma's CLI does before handing it to the
// schema engine: every sub-directory is one migration whose script is
// `migration.sql` (read as UTF-8), ordered by directory name with
// `localeCompare`; `migration_lock.toml` pins the provider.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationError } from './migration-error';

export interface LocalMigration {
  /** The directory name, e.g. `20261125000000_organizations`; recorded as `migration_name`. */
  readonly name: string;
  readonly script: string;
}

const LOCK_FILE = 'migration_lock.toml';
const SCRIPT_FILE = 'migration.sql';
const PROVIDER = 'postgresql';

/** The nearest directory at or above `startDir` that holds a package.json. */
export function findPackageRoot(startDir: string): string | undefined {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * `<repo>/prisma/migrations`, found from this file's location so it holds both
 * for the TypeScript sources (src/platform/database/migrations) and for the
 * compiled output (dist/platform/database/migrations).
 */
export const DEFAULT_MIGRATIONS_DIR = path.join(findPackageRoot(__dirname) ?? process.cwd(), 'prisma', 'migrations');

export async function readMigrationsDirectory(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    // Prisma treats a missing directory as "no migrations"; for a service that
    // migrates itself at boot that would hide a packaging mistake, so refuse.
    throw new MigrationError(`cannot read the migrations directory ${dir}: ${error.code ?? error.message}`);
  });
  await assertProvider(dir);

  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));

  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, SCRIPT_FILE);
      const script = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new MigrationError(`migration ${name} has no readable ${SCRIPT_FILE} (${error.code ?? error.message})`, name);
      });
      return { name, script };
    }),
  );
}

/** Prisma refuses a migrations directory written for another database (P3019); so do we. */
async function assertProvider(dir: string): Promise<void> {
  const lockFile = await readFile(path.join(dir, LOCK_FILE), 'utf8').catch(() => null);
  const provider = lockFile?.match(/^\s*provider\s*=\s*"([^"]*)"/m)?.[1];
  if (provider !== undefined && provider !== PROVIDER) {
    throw new MigrationError(
      `${LOCK_FILE} says these migrations were written for "${provider}", but this database is ${PROVIDER} (Prisma P3019)`,
    );
  }
}
