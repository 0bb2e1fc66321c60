// API.md §11: with no DATABASE_URL, `npm start` still serves, on an embedded
// PostgreSQL (PGlite) it migrates itself; loudly development-only, and refused
// in production. Drives startServer() — what main.ts runs — over real HTTP.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ConfigError } from '../src/config/app-config';
import { OrganizationBootstrap } from '../src/modules/api-keys/organization-bootstrap.service';
import { RunningServer, startServer } from '../src/server';

jest.setTimeout(60_000);

const MIGRATIONS_DIR = path.resolve(__dirname, '../prisma/migrations');
const localMigrations = () => readdirSync(MIGRATIONS_DIR).filter((name) => statSync(path.join(MIGRATIONS_DIR, name)).isDirectory()).sort();

// Fixed secrets, as main.ts gives the server from .data/dev-secrets.json, so a
// key made before a restart still authenticates after it.
const SECRETS = {
  API_KEY_PEPPER: randomBytes(32).toString('base64'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
};

async function appliedMigrations(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
    );
    return rows.map((r) => r.migration_name);
  } finally {
    await client.end();
  }
}

describe('embedded development database', () => {
  let root: string;
  let dataDir: string;
  let server: RunningServer | undefined;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'musicpub-embedded-'));
    dataDir = path.join(root, 'pglite');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function start(lines: string[], env: Record<string, string> = {}): Promise<RunningServer> {
    return startServer({
      env: { NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'silent', ...SECRETS, ...env },
      embeddedDataDir: dataDir,
      announce: (line) => lines.push(line),
    });
  }

  it('starts without DATABASE_URL, warns loudly, migrates and serves; a restart keeps the data', async () => {
    const lines: string[] = [];
    server = await start(lines);

    expect(server.embedded).toBeDefined();
    expect(server.embedded!.owned).toBe(true);
    expect(server.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(server.url).not.toMatch(/:3000$/); // PORT=0 picked a free port
    expect(existsSync(dataDir)).toBe(true);
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);

    // The warning is loud (its own lines, capitals) and says what to do instead.
    const text = lines.join('\n');
    expect(text).toMatch(/\*\*\* DEVELOPMENT DATABASE/);
    expect(text).toMatch(/embedded PostgreSQL/);
    expect(text).toMatch(/set DATABASE_URL/);
    expect(lines.some((line) => line.startsWith(`musicpub listening on ${server!.url}`))).toBe(true);

    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ok');

    // Every migration was applied, in Prisma's bookkeeping table.
    expect(await appliedMigrations(server.embedded!.url)).toEqual(localMigrations());
    for (const name of localMigrations()) expect(lines).toContain(`Applied migration ${name}`);

    // The schema works end to end: an organization and its key, then an authenticated read.
    const created = await server.app.get(OrganizationBootstrap).createOrganization('Embedded Label');
    expect(created.key).toMatch(/^mpk_live_/);
    const list = await fetch(`${server.url}/v1/api-keys`, { headers: { 'X-API-Key': created.key } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { data: Array<{ id: string }> };
    expect(body.data.map((k) => k.id)).toEqual([created.keyId]);
    expect(JSON.stringify(body)).not.toContain(created.key);

    const firstUrl = server.url;
    await server.close();
    server = undefined;

    // close() stopped listening and released the database.
    await expect(fetch(`${firstUrl}/health/live`)).rejects.toThrow();
    expect(existsSync(path.resolve('.data/embedded-url'))).toBe(false);

    // Same directory again: the organization and key are still there, nothing re-applied.
    const again: string[] = [];
    server = await start(again);
    expect(server.embedded?.owned).toBe(true);
    expect(again.join('\n')).toMatch(/DEVELOPMENT DATABASE/);
    expect(again.filter((line) => line.startsWith('Applied migration'))).toEqual([]);
    const after = await fetch(`${server.url}/v1/api-keys`, { headers: { 'X-API-Key': created.key } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { data: Array<{ id: string }> }).data.map((k) => k.id)).toEqual([created.keyId]);
  });

  it('keeps two data directories apart: a second server on another directory gets its own database', async () => {
    // e.g. `npm start` running in the checkout while `npm test` starts its own embedded server.
    const first = await start([]);
    let second: RunningServer | undefined;
    try {
      const created = await first.app.get(OrganizationBootstrap).createOrganization('First');
      second = await startServer({
        env: { NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'silent', ...SECRETS },
        embeddedDataDir: path.join(root, 'second-pglite'),
        announce: () => undefined,
      });
      expect(second.embedded?.owned).toBe(true);
      expect(second.embedded?.url).not.toBe(first.embedded?.url);
      expect(existsSync(path.join(root, 'second-pglite'))).toBe(true);
      expect(readdirSync(path.join(root, 'second-pglite')).length).toBeGreaterThan(0);
      // The first directory's key means nothing to the second database.
      const res = await fetch(`${second.url}/v1/api-keys`, { headers: { 'X-API-Key': created.key } });
      expect(res.status).toBe(401);
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it('starts from a working directory with no ./.data yet (a fresh clone running the tests)', async () => {
    // Nothing of the embedded database may depend on ./.data existing when a
    // data directory is given: run from an empty working directory.
    const freshCwd = mkdtempSync(path.join(tmpdir(), 'musicpub-fresh-clone-'));
    const previousCwd = process.cwd();
    process.chdir(freshCwd);
    try {
      server = await startServer({
        env: { NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'silent', ...SECRETS },
        embeddedDataDir: path.join(root, 'fresh-clone-pglite'),
        announce: () => undefined,
      });
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    } finally {
      await server?.close();
      server = undefined;
      process.chdir(previousCwd);
      rmSync(freshCwd, { recursive: true, force: true });
    }
  });

  it('is refused in production: no DATABASE_URL is a ConfigError, and nothing embedded starts', async () => {
    const untouched = path.join(root, 'must-not-exist');
    const lines: string[] = [];
    const attempt = startServer({
      env: { NODE_ENV: 'production', PORT: '0', LOG_LEVEL: 'silent', ...SECRETS },
      embeddedDataDir: untouched,
      announce: (line) => lines.push(line),
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/DATABASE_URL/);
    expect(existsSync(untouched)).toBe(false);
    expect(lines).toEqual([]);
  });
});
