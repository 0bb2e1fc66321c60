// `npm run bench`: runs every scenario against real servers on this machine
// and prints a table; each figure is a ratio against a baseline measured in
// the same run (GET /health/live, or the same route without the feature), so
// the numbers stay comparable on noisy machines. `--write` (the npm script
// passes it) updates BENCHMARKS.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { Client } = require('pg');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function withAdmin(work) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function startServer(env, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/server.mjs', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

async function stopServer(server) {
  server.child.removeAllListeners('exit');
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
}

function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...options }, (error, result) => {
      if (error) return reject(error);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0) return reject(new Error(`${options.title}: ${bad} failed responses (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`));
      resolve({ title: options.title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
    });
  });
}

async function main() {
  run(process.execPath, ['scripts/build-if-needed.mjs']);
  const database = `musicpub_bench_${Date.now()}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${database}"`));
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: '20',
    API_KEY_PEPPER: Buffer.from(randomUUID() + randomUUID()).toString('base64'),
    ENCRYPTION_KEY: `b1:${Buffer.from(randomUUID().replace(/-/g, ''), 'utf8').toString('base64')}`,
    JWT_PRIVATE_KEY: require('node:crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    LOG_LEVEL: 'warn',
    THROTTLE_DEFAULT: '9999999/60',
    THROTTLE_UPLOADS: '9999999/60',
    THROTTLE_AUTH: '9999999/60',
    REDIS_URL: '',
    PORT: '0',
  };
  const rows = [];
  try {
    run(process.execPath, ['dist/cli/main.js', 'db:migrate'], env);
    const { keyId, key } = JSON.parse(run(process.execPath, ['dist/cli/main.js', 'org:create', '--name', 'Bench Label', '--json'], env).trim().split('\n').pop());

    const server = await startServer(env);
    const json = { 'content-type': 'application/json', 'x-api-key': key };
    const release = await (await fetch(`${server.url}/v1/releases`, { method: 'POST', headers: json, body: JSON.stringify({ title: 'Bench', artists: ['Bench Artist'] }) })).json();
    const token = (await (await fetch(`${server.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: keyId, client_secret: key }),
    })).json()).access_token;
    const body = JSON.stringify({ title: 'Bench release', artists: ['Bench Artist'], genre: 'Electronic' });

    const baseline = await load({ title: 'GET /health/live (baseline)', url: `${server.url}/health/live` });
    rows.push({ ...baseline, baseline: baseline.rps, against: 'itself' });
    const byKey = await load({ title: 'GET /v1/releases/:id, API key', url: `${server.url}/v1/releases/${release.id}`, headers: { 'x-api-key': key } });
    rows.push({ ...byKey, baseline: baseline.rps, against: '/health/live' });
    const byJwt = await load({ title: 'GET /v1/releases/:id, JWT', url: `${server.url}/v1/releases/${release.id}`, headers: { authorization: `Bearer ${token}` } });
    rows.push({ ...byJwt, baseline: baseline.rps, against: '/health/live' });
    const plainPost = await load({ title: 'POST /v1/releases', url: `${server.url}/v1/releases`, method: 'POST', headers: json, body });
    rows.push({ ...plainPost, baseline: baseline.rps, against: '/health/live' });
    const idemPost = await load({
      title: 'POST /v1/releases + Idempotency-Key',
      url: `${server.url}/v1/releases`,
      requests: [{ method: 'POST', headers: json, body, setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }) }],
    });
    rows.push({ ...idemPost, baseline: plainPost.rps, against: 'POST /v1/releases' });
    await stopServer(server);

    const noAudit = await startServer(env, ['--without-audit']);
    const unaudited = await load({ title: 'POST /v1/releases, audit write replaced by a no-op', url: `${noAudit.url}/v1/releases`, method: 'POST', headers: json, body });
    rows.push({ ...unaudited, baseline: plainPost.rps, against: 'POST /v1/releases (audited)' });
    await stopServer(noAudit);
  } finally {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }

  const table = formatTable(rows);
  console.log(table);
  if (process.argv.includes('--write')) writeReport(table);
}

function formatTable(rows) {
  const lines = [
    '| Scenario | req/s | p50 ms | p99 ms | ratio | baseline |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.title} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.rps / r.baseline).toFixed(2)} | ${r.against} |`);
  }
  return lines.join('\n');
}

function writeReport(table) {
  const file = path.join(root, 'BENCHMARKS.md');
  const cpus = os.cpus();
  const section = [
    '<!-- bench:start -->',
    `Command: \`npm run bench\` (autocannon, ${CONNECTIONS} connections, ${DURATION} s per scenario; server in its own process, NODE_ENV=production, local PostgreSQL).`,
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`,
    '',
    table,
    '<!-- bench:end -->',
  ].join('\n');
  const current = readFileSync(file, 'utf8');
  const next = current.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, section);
  writeFileSync(file, next);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
