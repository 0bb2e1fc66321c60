// The README's quick start, followed on a fresh clone (issue 19: "the
// README's quick start is followed verbatim by a test on a fresh clone").
//
// The clone is `git clone` of this repository: the committed HEAD, not the
// working tree, so what it proves is what a newcomer would get. Its
// `## Quick start` blocks are read from the clone's own README and run as
// written, with two declared shortcuts:
// - `npm ci` becomes a symlink to this checkout's node_modules (installed by
//   the same lockfile moments ago; a second install would take minutes and
//   the network, and prove npm rather than the project);
// - the server listens on a free port instead of 3000 (`PORT`, the README's
//   own setting), and the README's `http://localhost:3000` and its `mpk_live_…`
//   placeholder are replaced by that address and the key `org:create` printed.
// Everything else is real: `npm start` builds the clone (prisma generate +
// tsc), starts the embedded database under the clone's .data/, migrates and
// serves; `npm run -s cli -- org:create` goes through the running server's
// embedded database; curl makes the first request of the tour.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fencedBlocks } from './helpers/markdown';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The bash blocks of the README's `## Quick start` section. */
export function quickStartBlocks(readme: string): string[] {
  const start = readme.indexOf('\n## Quick start');
  if (start < 0) throw new Error('README.md has no "## Quick start" section');
  const end = readme.indexOf('\n## ', start + 1);
  return fencedBlocks(readme.slice(start, end < 0 ? undefined : end))
    .filter((b) => b.lang === 'bash')
    .map((b) => b.code);
}

/** The commands of a block: its non-empty, non-comment lines. */
const commands = (block: string) => block.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('README quick start on a fresh clone', () => {
  let dir: string;
  let clone: string;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'musicpub-clone-'));
    clone = path.join(dir, 'musicpub');
    execFileSync('git', ['clone', '--quiet', ROOT, clone], { stdio: 'pipe' });
    // Only what a newcomer's shell has: no DATABASE_URL or other test settings.
    env = {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir,
      npm_config_cache: path.join(dir, '.npm'),
      npm_config_update_notifier: 'false',
      PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      process.kill(-server.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-server!.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs, starts, creates an organization and answers the first request of the tour', async () => {
    const blocks = quickStartBlocks(readFileSync(path.join(clone, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const [install, tour, test] = blocks.map(commands);
    // The shortcuts above stand in for exactly these commands; a README that changes them must change this test.
    expect(install).toEqual(['npm ci', 'npm start']);
    expect(test).toEqual(['npm test']);
    expect(tour).toHaveLength(2);
    expect(tour[0]).toBe('npm run -s cli -- org:create --name "My Label" --json');
    expect(tour[1]).toMatch(/^curl .*mpk_live_….*http:\/\/localhost:3000\//);

    // `npm ci`: the lockfile's packages, already installed here.
    expect(readFileSync(path.join(clone, 'package-lock.json'), 'utf8')).toBe(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');

    // `npm start`, in its own process group so the whole tree stops afterwards.
    server = spawn('bash', ['-c', install[1]], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    const base = `http://localhost:${env.PORT}`;
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`npm start did not announce itself within 180 s:\n${serverOutput}`)), 180_000);
      const check = () => {
        if (serverOutput.includes('musicpub listening on')) {
          clearTimeout(deadline);
          resolve();
        }
      };
      server!.stdout!.on('data', check);
      server!.once('exit', (code) => {
        clearTimeout(deadline);
        reject(new Error(`npm start exited (${code}):\n${serverOutput}`));
      });
    });

    const created = execFileSync('bash', ['-c', tour[0]], { cwd: clone, env, encoding: 'utf8', timeout: 60_000 });
    const org = JSON.parse(created) as { orgId: string; keyId: string; key: string };
    expect(org).toEqual({ orgId: expect.stringMatching(/^org_/), keyId: expect.stringMatching(/^key_/), key: expect.stringMatching(/^mpk_live_/) });

    const curl = tour[1].replace('mpk_live_…', org.key).replace('http://localhost:3000', base);
    const answer = execFileSync('bash', ['-c', `${curl} --fail-with-body -sS`], { cwd: clone, env, encoding: 'utf8', timeout: 30_000 });
    const keys = JSON.parse(answer) as { data: Array<{ id: string; name: string }> };
    expect(keys.data.map((k) => k.id)).toEqual([org.keyId]);
    expect(answer).not.toContain(org.key);
  });
});
