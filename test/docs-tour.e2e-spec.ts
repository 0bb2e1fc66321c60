// docs/tour.md, run (issue 18: "a test walks the curl tour of the docs against
// a real server, so the docs cannot rot"). Its ```bash blocks are joined in
// order and run by a real bash with real curl against this file's server on
// an ephemeral port. Two translations, both checked to apply exactly once:
// the tour's `API=http://localhost:3000` becomes that port, and `npm` is a
// stand-in that answers `npm run -s cli -- org:create --name … --json` by
// calling the very service the CLI calls (OrganizationBootstrap) on this
// server's database, printing what the CLI prints. Anything else the tour
// might ask of npm fails the test. (The real CLI and `npm start` are walked by
// test/readme-quickstart.e2e-spec.ts on a fresh clone.)
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrganizationBootstrap } from '../src/modules/api-keys/organization-bootstrap.service';
import { fencedBlocks } from './helpers/markdown';
import { startTestApp, TestApp } from './helpers/test-app';
import { listen } from './helpers/upload-requests';

jest.setTimeout(60_000);

const TOUR = path.resolve(__dirname, '..', 'docs', 'tour.md');
const API_LINE = 'API=http://localhost:3000';

/** The `npm` the tour's shell finds first: forwards its arguments to this test, prints the answer. */
const NPM_STAND_IN = `#!${process.execPath}
const args = process.argv.slice(2);
fetch(process.env.TOUR_CLI_URL, { method: 'POST', body: JSON.stringify(args) }).then(async (res) => {
  const text = await res.text();
  (res.ok ? process.stdout : process.stderr).write(text);
  process.exit(res.ok ? 0 : 2);
}, (error) => { console.error(String(error)); process.exit(2); });
`;

export function tourScript(markdown: string, api: string): string {
  const blocks = fencedBlocks(markdown).filter((b) => b.lang === 'bash');
  const script = blocks.map((b) => b.code).join('\n');
  const occurrences = script.split(API_LINE).length - 1;
  if (occurrences !== 1) throw new Error(`docs/tour.md must set "${API_LINE}" exactly once in its bash blocks (found ${occurrences})`);
  return script.replace(API_LINE, `API=${api}`);
}

describe('docs/tour.md, run against a real server', () => {
  let t: TestApp;
  let work: string;
  let cli: Server;
  const created: Array<{ orgId: string; keyId: string; key: string }> = [];
  const refused: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'musicpub-tour-'));
    t = await startTestApp({ env: { UPLOAD_DIR: path.join(work, 'uploads'), WEBHOOK_WORKERS: '0' } });
    cli = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const args = JSON.parse(body) as string[];
        const name = args.length === 8 && args.slice(0, 5).join(' ') === 'run -s cli -- org:create' && args[5] === '--name' && args[7] === '--json' ? args[6] : undefined;
        if (name === undefined) {
          refused.push(args.join(' '));
          res.writeHead(400).end(`the tour test only stands in for "npm run -s cli -- org:create --name <name> --json", not "npm ${args.join(' ')}"\n`);
          return;
        }
        t.app.get(OrganizationBootstrap).createOrganization(name).then(
          (org) => {
            created.push(org);
            // What `npm run -s cli -- org:create --json` prints (src/cli/main.ts).
            res.writeHead(200).end(`${JSON.stringify(org)}\n`);
          },
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
      });
    });
    await new Promise<void>((resolve) => cli.listen(0, '127.0.0.1', resolve));
    writeFileSync(path.join(work, 'npm'), NPM_STAND_IN);
    chmodSync(path.join(work, 'npm'), 0o755);
  });
  afterAll(async () => {
    await new Promise((resolve) => cli.close(resolve));
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs every bash block of the tour, in order, to a live release', async () => {
    const script = tourScript(readFileSync(TOUR, 'utf8'), await listen(t));
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env: {
        PATH: `${work}:${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: work,
        TMPDIR: work,
        TOUR_CLI_URL: `http://127.0.0.1:${(cli.address() as AddressInfo).port}/`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`the tour failed (exit ${code})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);

    expect(refused).toEqual([]);
    expect(created).toHaveLength(1);
    const [org] = created;
    // What the tour claims happened, from the database.
    const releases = await t.prisma.release.findMany({ where: { orgId: org.orgId }, include: { tracks: true } });
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ status: 'live', upc: '036000291452' });
    expect(releases[0].tracks).toHaveLength(1);
    expect(releases[0].tracks[0]).toMatchObject({ isrc: 'USRC17607839' });
    expect(releases[0].tracks[0].audioUploadId).toMatch(/^upl_/);
    expect(stdout).toMatch(/^live$/m);
    expect(stdout).toContain('"ok":true');
  });
});
