// docs/operations.md from the outside: the built artefacts (`dist/`) as `npm run build`,
// `npm run db:migrate`, `npm run cli` and `npm run start:prod` run them, in child
// processes with an explicit environment (nothing inherited from a developer's
// shell or .env), against a fresh database.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TUNED_NODE_FLAGS } from '../src/node-flags';
import { createEmptyDatabase, TestDatabase } from './helpers/test-database';
import { eventually } from './helpers/upload-requests';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '..');
const MIGRATIONS_DIR = path.join(ROOT, 'prisma', 'migrations');
const localMigrations = () => readdirSync(MIGRATIONS_DIR).filter((name) => statSync(path.join(MIGRATIONS_DIR, name)).isDirectory());

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Only what the child needs: never the parent's (or a developer's) settings. */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...settings };
}

function collect(child: ChildProcess): { output: { stdout: string; stderr: string }; done: Promise<Finished> } {
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  const done = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, ...output }));
  });
  return { output, done };
}

/** Runs `node <args>` in the repository root to completion (killed after `timeoutMs`). */
async function node(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Finished> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await collect(child).done;
  } finally {
    clearTimeout(timer);
  }
}

const describeOutput = (r: Finished) => `exit ${r.code} (${r.signal ?? 'no signal'})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

function expectExit(result: Finished, code: number): void {
  if (result.code !== code) throw new Error(`expected exit ${code}, got ${describeOutput(result)}`);
}

describe('production build', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let created: { orgId: string; keyId: string; key: string };

  beforeAll(async () => {
    const build = await node(['scripts/build-if-needed.mjs'], childEnv({}), 170_000);
    expectExit(build, 0);
    database = await createEmptyDatabase();
    env = childEnv({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      API_KEY_PEPPER: randomBytes(32).toString('base64'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
    });
  }, 180_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('build-if-needed is a no-op when dist/ is current', async () => {
    const again = await node(['scripts/build-if-needed.mjs'], childEnv({}), 170_000);
    expectExit(again, 0);
    expect(again.stderr).not.toMatch(/building/);
  }, 180_000);

  describe('CLI (dist/cli/main.js)', () => {
    it('db:migrate applies every migration to an empty database, then is a no-op', async () => {
      const count = localMigrations().length;
      const first = await node(['dist/cli/main.js', 'db:migrate'], env);
      expectExit(first, 0);
      expect(first.stdout).toContain(`${count} migration(s) applied, 0 already applied.`);
      for (const name of localMigrations()) expect(first.stdout).toContain(name);

      const second = await node(['dist/cli/main.js', 'db:migrate'], env);
      expectExit(second, 0);
      expect(second.stdout).toContain(`0 migration(s) applied, ${count} already applied.`);
    });

    it('org:create --json prints { orgId, keyId, key } on its last line', async () => {
      const result = await node(['dist/cli/main.js', 'org:create', '--name', 'Label', '--json'], env);
      expectExit(result, 0);
      const lines = result.stdout.trim().split('\n');
      const parsed = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
      expect(Object.keys(parsed).sort()).toEqual(['key', 'keyId', 'orgId']);
      expect(parsed.orgId).toMatch(/^org_/);
      expect(parsed.keyId).toMatch(/^key_/);
      expect(parsed.key).toMatch(/^mpk_live_[0-9A-Za-z]+$/);
      // The key is shown on stdout once and nowhere else.
      expect(result.stderr).not.toContain(parsed.key as string);
      created = parsed as typeof created;
    });

    it('org:create without --json tells a human the ids and the key', async () => {
      const result = await node(['dist/cli/main.js', 'org:create', '--name', 'Human Label'], env);
      expectExit(result, 0);
      expect(result.stdout).toMatch(/org_\w+/);
      expect(result.stdout).toMatch(/key_\w+/);
      expect(result.stdout).toMatch(/mpk_live_[0-9A-Za-z]+/);
    });

    it('answers bad usage with exit 2 and the usage text', async () => {
      const cases: Array<[string, string[], RegExp]> = [
        ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
        ['no command', [], /no command given/],
        ['org:create without --name', ['org:create', '--json'], /--name/],
        ['org:create with an empty --name', ['org:create', '--name', '', '--json'], /--name/],
        ['org:create with an unknown option', ['org:create', '--name', 'X', '--colour', 'red'], /colour/],
      ];
      // Independent processes: run them side by side.
      const results = await Promise.all(cases.map(([, args]) => node(['dist/cli/main.js', ...args], env)));
      const failures: string[] = [];
      cases.forEach(([label, , message], i) => {
        const r = results[i];
        const ok =
          r.code === 2 &&
          message.test(r.stderr) &&
          r.stderr.includes('usage: npm run cli -- <command> [options]') &&
          r.stderr.includes('org:create --name') &&
          r.stdout === '';
        if (!ok) failures.push(`${label}: ${describeOutput(r)}`);
      });
      expect(failures).toEqual([]);
    });

    it('refuses production settings without API_KEY_PEPPER in one line (exit 1)', async () => {
      const result = await node(['dist/cli/main.js', 'org:create', '--name', 'X', '--json'], { ...env, NODE_ENV: 'production', API_KEY_PEPPER: '' });
      expectExit(result, 1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('API_KEY_PEPPER');
      expect(result.stdout).toBe('');
    });
  });

  describe('server (dist/main.js)', () => {
    it('serves the CLI-created key, then shuts down gracefully on SIGTERM (exit 0)', async () => {
      expect(created).toBeDefined(); // from the org:create test above
      const child = spawn(process.execPath, ['dist/main.js', '--migrate'], {
        cwd: ROOT,
        env: { ...env, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const { output, done } = collect(child);
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "listening" line within 30 s:\n${output.stdout}\n${output.stderr}`)), 30_000);
          const check = () => {
            const match = /musicpub listening on http:\/\/localhost:(\d+)/.exec(output.stdout);
            if (match) {
              clearTimeout(timer);
              resolve(Number(match[1]));
            }
          };
          child.stdout!.on('data', check);
          void done.then((r) => reject(new Error(`exited before listening: ${describeOutput(r)}`)));
        });
        expect(port).toBeGreaterThan(0);
        const base = `http://127.0.0.1:${port}`;
        // The server re-executed itself (same pid) with the V8 flags of src/node-flags.ts.
        if (existsSync(`/proc/${child.pid}/cmdline`)) {
          expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(TUNED_NODE_FLAGS));
        }

        const ready = await fetch(`${base}/health/ready`);
        expect(ready.status).toBe(200);

        const list = await fetch(`${base}/v1/api-keys`, { headers: { 'X-API-Key': created.key } });
        expect(list.status).toBe(200);
        const body = (await list.json()) as { data: Array<{ id: string }> };
        expect(body.data.map((k) => k.id)).toContain(created.keyId);
        expect(JSON.stringify(body)).not.toContain(created.key);

        const unauthenticated = await fetch(`${base}/v1/api-keys`);
        expect(unauthenticated.status).toBe(401);

        // The structured request log went to stdout, without the key. A line reaches this
        // process through a pipe that is read on its own, so it can arrive after the response.
        await eventually(() => /"msg":"request completed"/.test(output.stdout));
        expect(output.stdout).toMatch(/"msg":"request completed"/);
        expect(output.stdout).not.toContain(created.key);

        const started = Date.now();
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          done,
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('still running 10 s after SIGTERM')), 10_000))),
        ]).finally(() => clearTimeout(timer));
        expect({ code: finished.code, signal: finished.signal }).toEqual({ code: 0, signal: null });
        expect(Date.now() - started).toBeLessThan(10_000);
        await expect(fetch(`${base}/health/live`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });

    it('refuses to start in production without API_KEY_PEPPER: exit 1, one line naming it', async () => {
      const result = await node(['dist/main.js'], { ...env, NODE_ENV: 'production', PORT: '0', API_KEY_PEPPER: '' });
      expectExit(result, 1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('API_KEY_PEPPER');
      expect(result.stdout).not.toMatch(/listening/);
    });

    it('refuses a weak API_KEY_PEPPER in production without printing it', async () => {
      const weak = '00'.repeat(32);
      const result = await node(['dist/main.js'], { ...env, NODE_ENV: 'production', PORT: '0', API_KEY_PEPPER: weak });
      expectExit(result, 1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('API_KEY_PEPPER');
      expect(result.stderr + result.stdout).not.toContain(weak);
    });
  });
});
