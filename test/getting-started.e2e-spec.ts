// A newcomer's first minutes (docs/getting-started.md): an old Node.js stops
// every entry point with one clear line, .env.example tells the truth about
// development secrets, and the test run's closing line never says "0 failed"
// when suites could not even load.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { applyDevelopmentSecrets } from '../src/config/development-secrets';

const ROOT = path.resolve(__dirname, '..');
const CHECK = path.join(ROOT, 'scripts/check-node.cjs');
const { nodeVersionProblem } = require(CHECK) as { nodeVersionProblem: (version: string) => string | null };
const { summaryLine } = require('./helpers/summary-reporter.js') as { summaryLine: (results: Record<string, number>) => string };

const run = (node: string, args: string[]) =>
  promisify(execFile)(node, args, { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

describe('Node.js version check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'musicpub-node-check-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the version it needs and the one it found, and lets 24 and newer through', () => {
    expect(nodeVersionProblem('20.11.1')).toMatch(/^musicpub needs Node\.js 24 or newer, but this is Node\.js 20\.11\.1 \(.+\)\. See docs\/getting-started\.md/);
    expect(nodeVersionProblem('v23.9.0')).toMatch(/Node\.js 23\.9\.0/);
    expect(nodeVersionProblem('24.0.0')).toBeNull();
    expect(nodeVersionProblem('25.2.1')).toBeNull();
  });

  it('exits 1 with exactly one line on an older Node, silently 0 on this one', async () => {
    const preload = path.join(dir, 'pretend-node-20.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });\n");
    const old = await run(process.execPath, ['-r', preload, CHECK]);
    expect(old.code).toBe(1);
    expect(old.stdout).toBe('');
    expect(old.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('needs Node.js 24 or newer, but this is Node.js 20.11.1')]);

    expect(await run(process.execPath, [CHECK])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('parses on an old Node: written in ES5 (and run by a real older Node when the machine has one)', async () => {
    const source = readFileSync(CHECK, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const modern of [/=>/, /`/, /\blet\b/, /\bconst\b/, /\?\./, /\?\?/, /\.\.\./, /\bclass\b/, /\basync\b/]) expect(source).not.toMatch(modern);
    // Many machines keep a distribution Node beside the one in PATH.
    const system = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => existsSync(candidate) && candidate !== process.execPath);
    if (!system) return;
    const version = (await run(system, ['--version'])).stdout.trim();
    const result = await run(system, [CHECK]);
    if (Number(version.replace(/^v/, '').split('.')[0]) < 24) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`but this is Node.js ${version.replace(/^v/, '')}`);
    } else {
      expect(result.code).toBe(0);
    }
  });

  it('runs first in npm start, npm test, the CLI and the other entry scripts', () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'start:prod', 'test', 'test:unit', 'cli', 'db:migrate', 'worker', 'bench']) {
      expect([name, scripts[name].startsWith('node scripts/check-node.cjs && ')]).toEqual([name, true]);
    }
    expect(readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim()).toBe('24');
  });
});

describe('.env.example', () => {
  it('says where an unset pepper and encryption key are kept, as applyDevelopmentSecrets does', () => {
    const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const pepperBlock = text.slice(text.indexOf('# HMAC pepper'), text.indexOf('# API_KEY_PEPPER='));
    expect(pepperBlock).toContain('.data/dev-secrets.json');
    expect(text).not.toMatch(/die with the process|random one per process/);

    // What it promises: unset twice, from two "processes", the same pepper, kept in that file.
    const dir = mkdtempSync(path.join(tmpdir(), 'musicpub-dev-secrets-'));
    try {
      const first: NodeJS.ProcessEnv = { NODE_ENV: 'development' };
      const second: NodeJS.ProcessEnv = { NODE_ENV: 'development' };
      applyDevelopmentSecrets(first, dir);
      applyDevelopmentSecrets(second, dir);
      expect(second.API_KEY_PEPPER).toBe(first.API_KEY_PEPPER);
      expect(second.ENCRYPTION_KEY).toBe(first.ENCRYPTION_KEY);
      expect(JSON.parse(readFileSync(path.join(dir, 'dev-secrets.json'), 'utf8'))).toEqual({ API_KEY_PEPPER: first.API_KEY_PEPPER, ENCRYPTION_KEY: first.ENCRYPTION_KEY });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the closing line of a test run', () => {
  const results = { numPassedTests: 1033, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numRuntimeErrorTestSuites: 0 };

  it('counts suites that failed to run as failures', () => {
    expect(summaryLine({ ...results, numRuntimeErrorTestSuites: 21 })).toBe('jest: 1033 passed, 21 failed (21 suites failed to run)');
    expect(summaryLine({ ...results, numFailedTests: 2, numRuntimeErrorTestSuites: 1, numPendingTests: 3 })).toBe(
      'jest: 1033 passed, 3 failed (1 suite failed to run), 3 skipped',
    );
    expect(summaryLine(results)).toBe('jest: 1033 passed, 0 failed');
  });
});
