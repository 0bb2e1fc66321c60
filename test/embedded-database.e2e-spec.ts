// docs/operations.md: with no DATABASE_URL, `npm start` still serves, on an embedded
// PostgreSQL (PGlite) it migrates itself; loudly development-only, and refused
// in production. Drives startServer() — what main.ts runs — over real HTTP.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ConfigError } from '../src/config/app-config';
import { OrganizationBootstrap } from '../src/modules/api-keys/organization-bootstrap.service';
import { RunningServer, startServer } from '../src/server';
import { WebhookReceiver } from './helpers/webhook-receiver';

jest.setTimeout(60_000);

// The real CLI entry point (src/cli/main.ts) in a child process, SWC
// stripping the types as under Jest (as in auth-tenancy.e2e-spec.ts).
const CLI = `
const fs = require('node:fs');
const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});
const options = { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2023' }, module: { type: 'commonjs' } };
require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
process.argv = [process.argv[0], 'cli', ...JSON.parse(process.env.CLI_ARGS)];
require(${JSON.stringify(path.resolve(__dirname, '../src/cli/main.ts'))});
`;

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
    // Where the CLI looks when run from `root`, as from a checkout.
    dataDir = path.join(root, '.data', 'pglite');
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

  it('keeps every connection to itself under concurrent mixed traffic, webhook workers and the CLI included', async () => {
    // The app's 10-connection pool, the webhook workers and a CLI process all
    // share PGlite's single backend. Interleaved extended-protocol messages
    // (pglite-socket's queue, electric-sql/pglite#1046) made a valid key
    // answer 401 and logged "bind message supplies 3 parameters, but prepared
    // statement \"\" requires 2".
    const receiver = await WebhookReceiver.start();
    const log: string[] = [];
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    try {
      server = await startServer({
        env: {
          NODE_ENV: 'development',
          PORT: '0',
          LOG_LEVEL: 'info',
          ...SECRETS,
          THROTTLE_DEFAULT: '100000/60',
          WEBHOOKS_ALLOW_HTTP: 'true',
          WEBHOOKS_ALLOW_PRIVATE: 'true',
          WEBHOOK_WORKERS: '2',
          WEBHOOK_POLL_INTERVAL_MS: '20',
        },
        embeddedDataDir: dataDir,
        logDestination,
        announce: () => undefined,
      });
      const base = server.url;
      const orgs = await Promise.all(['Hammer A', 'Hammer B'].map((name) => server!.app.get(OrganizationBootstrap).createOrganization(name)));
      const call = (key: string, method: string, route: string, body?: object) =>
        fetch(`${base}${route}`, {
          method,
          headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      const endpoint = await call(orgs[0].key, 'POST', '/v1/webhook-endpoints', { url: receiver.url(), events: ['*'] });
      expect(endpoint.status).toBe(201);
      receiver.secrets = [((await endpoint.json()) as { secret: string }).secret];

      // The CLI, run from the checkout while the server runs, joins through the server's socket.
      const cli = promisify(execFile)(process.execPath, ['-e', CLI], {
        cwd: root,
        env: { ...process.env, ...SECRETS, NODE_ENV: 'development', CLI_ARGS: JSON.stringify(['org:create', '--name', 'From the CLI', '--json']) },
        timeout: 30_000,
      });
      const requests: Array<Promise<{ route: string; status: number; body: string }>> = [];
      for (let i = 0; i < 120; i++) {
        const org = orgs[i % 2];
        const [method, route, body] =
          i % 3 === 0
            ? ['POST', '/v1/releases', { title: `Hammer ${i}`, artists: ['A'] }]
            : i % 3 === 1
              ? ['GET', '/v1/api-keys']
              : ['GET', '/v1/releases?limit=5'];
        requests.push(call(org.key, method as string, route as string, body as object | undefined).then(async (res) => ({ route: `${method} ${route}`, status: res.status, body: await res.text() })));
      }
      const results = await Promise.all(requests);
      const unexpected = results.filter((r) => r.status !== (r.route.startsWith('POST') ? 201 : 200));
      expect(unexpected).toEqual([]);

      const { stdout } = await cli;
      const created = JSON.parse(stdout) as { key: string };
      expect((await call(created.key, 'GET', '/v1/api-keys')).status).toBe(200);

      // Every release.created of org A reached the receiver through the workers.
      await receiver.waitFor((d) => d.filter((x) => x.json?.type === 'release.created').length >= 20, 15_000);
      expect(receiver.deliveries.every((d) => d.verifiedWith.includes(0))).toBe(true);

      const driverTrouble = log.filter((line) => /prepared statement|bind message|portal|"level":(50|60)/.test(line));
      expect(driverTrouble).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('keeps two data directories apart, and needs no ./.data in its working directory (a fresh clone running the tests)', async () => {
    // e.g. `npm start` running in the checkout while `npm test` starts its own embedded server;
    // the second one runs from an empty working directory: nothing may depend on ./.data existing.
    const first = await start([]);
    let second: RunningServer | undefined;
    const freshCwd = mkdtempSync(path.join(tmpdir(), 'musicpub-fresh-clone-'));
    const previousCwd = process.cwd();
    try {
      const created = await first.app.get(OrganizationBootstrap).createOrganization('First');
      process.chdir(freshCwd);
      second = await startServer({
        env: { NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'silent', ...SECRETS },
        embeddedDataDir: path.join(root, 'second-pglite'),
        announce: () => undefined,
      });
      process.chdir(previousCwd);
      expect(second.embedded?.owned).toBe(true);
      expect(second.embedded?.url).not.toBe(first.embedded?.url);
      expect(existsSync(path.join(root, 'second-pglite'))).toBe(true);
      expect(readdirSync(path.join(root, 'second-pglite')).length).toBeGreaterThan(0);
      expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);
      // The first directory's key means nothing to the second database.
      const res = await fetch(`${second.url}/v1/api-keys`, { headers: { 'X-API-Key': created.key } });
      expect(res.status).toBe(401);
    } finally {
      process.chdir(previousCwd);
      await second?.close();
      await first.close();
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
