// `npm run bench`: runs every scenario against real servers on this machine
// and prints a table; each figure is a ratio against a baseline measured in
// the same run (GET /health/live, or the same route without the feature), so
// the numbers stay comparable on noisy machines. `--write` (the npm script
// passes it) updates BENCHMARKS.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { measureBareWrite, measureUpload } from './upload.mjs';
import { uploadStorageScenario } from './upload-storage.mjs';
import { createSigningClient } from './signed-requests.mjs';
import { fanOut, idGenerator, startReceiver, startWorkerProcess, stopWorkerProcess } from './webhook-fanout.mjs';
import { callgrindAvailable, instructionsPerRequest } from './instructions.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { Client } = require('pg');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const UPLOAD_BYTES = Number(process.env.BENCH_UPLOAD_MB ?? 600) * 1e6;
const WEBHOOK_EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
/** Issue 6: fan-out target. */
const WEBHOOK_TARGET_RATE = 1000;
// BENCH_ONLY=health,read,create,orgs,cpu,instructions,http,upload,upload-storage,webhooks picks scenarios (for working on one; never with --write).
// `instructions` runs only when named there.
// BENCH_INSTRUCTIONS_WITHOUT=rate-limit,metrics,… counts musicpub's instructions with those parts of its
// pipeline replaced by pass-throughs (bench/instructions-target.mjs lists them; never with --write).
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const wanted = (group) => !ONLY || ONLY.includes(group);

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

/**
 * Node flags for the server processes only (not the load generator):
 * BENCH_SERVER_NODE_ARGS="--max-semi-space-size=4" to try a V8 setting, and
 * BENCH_PROFILE_DIR=<dir> for a V8 CPU profile of each server (--cpu-prof),
 * written when it stops.
 */
function serverNodeArgs() {
  const args = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (process.env.BENCH_PROFILE_DIR) args.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`);
  return args;
}

// Servers still running when the run ends (a scenario failed, or the run was
// interrupted) are killed, so none outlives it holding its database or port.
const servers = new Set();
process.on('exit', () => {
  for (const child of servers) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

function startServer(env, args = [], nodeArgs = [], script = 'bench/server.mjs') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...serverNodeArgs(), ...nodeArgs, script, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    servers.add(child);
    child.once('exit', () => servers.delete(child));
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
      resolve({ title: options.title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total });
    });
  });
}

async function main() {
  run(process.execPath, ['scripts/build-if-needed.mjs']);
  const database = `musicpub_bench_${Date.now()}`;
  // The database as CI has it (never changed here): commits wait for fsync unless synchronous_commit says otherwise.
  const postgres = await withAdmin(async (c) => {
    await c.query(`CREATE DATABASE "${database}"`);
    const { rows } = await c.query(`SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS "synchronousCommit"`);
    return rows[0];
  });
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: '20',
    API_KEY_PEPPER: Buffer.from(randomUUID() + randomUUID()).toString('base64'),
    ENCRYPTION_KEY: `b1:${Buffer.from(randomUUID().replace(/-/g, ''), 'utf8').toString('base64')}`,
    AUDIT_HMAC_KEY: Buffer.from(randomUUID() + randomUUID()).toString('base64'),
    JWT_PRIVATE_KEY: require('node:crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    LOG_LEVEL: 'warn',
    THROTTLE_DEFAULT: '9999999/60',
    THROTTLE_UPLOADS: '9999999/60',
    THROTTLE_AUTH: '9999999/60',
    REDIS_URL: '',
    PORT: '0',
  };
  const rows = [];
  const baselineRows = [];
  const uploadRows = [];
  const webhookRows = [];
  try {
    run(process.execPath, ['dist/cli/main.js', 'db:migrate'], env);
    const { keyId, key } = JSON.parse(run(process.execPath, ['dist/cli/main.js', 'org:create', '--name', 'Bench Label', '--json'], env).trim().split('\n').pop());

    if (BASELINE_SCENARIOS.some(wanted)) baselineRows.push(...(await baselineScenarios(env, key)));
    if (wanted('http')) {
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
      // Issue 10: the same GET signed (RFC 9421: parse, verify, one nonce INSERT per request) against it unsigned.
      for (const alg of ['hmac-sha256', 'ed25519']) {
        const signing = await createSigningClient(server.url, key, alg);
        const url = `${server.url}/v1/releases/${release.id}`;
        const signedGet = await load({
          title: `GET /v1/releases/:id, API key + ${alg} signature`,
          url,
          requests: [{ method: 'GET', headers: { 'x-api-key': signing.key }, setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...signing.headers('GET', url) } }) }],
        });
        rows.push({ ...signedGet, baseline: byKey.rps, against: 'same GET, unsigned API key' });
      }
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
    }

    if (wanted('upload')) uploadRows.push(...(await uploadScenario(env, key)));
    if (wanted('upload-storage')) uploadRows.push(...(await uploadStorageScenario({ env, key, size: UPLOAD_BYTES, duration: DURATION, startServer, stopServer })));
    if (wanted('webhooks')) webhookRows.push(...(await webhookScenarios(env)));
  } finally {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }

  const table = [formatBaselineTable(baselineRows), rows.length > 0 ? formatTable(rows) : '', formatUploadTable(uploadRows), formatWebhookTable(webhookRows)].filter(Boolean).join('\n\n');
  console.log(table);
  if (process.argv.includes('--write')) {
    if (ONLY) throw new Error('BENCH_ONLY runs a subset: not writing BENCHMARKS.md');
    if (process.env.BENCH_INSTRUCTIONS_WITHOUT) throw new Error('BENCH_INSTRUCTIONS_WITHOUT measures a pipeline with parts removed: not writing BENCHMARKS.md');
    writeReport(table, postgres);
  }
}

const BASELINE_SCENARIOS = ['health', 'read', 'create', 'orgs', 'cpu', 'instructions'];
// Each pair is measured ROUNDS times, alternating which side goes first, and averaged.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/**
 * Issue 15: musicpub against the two baselines of bench/ in the same run —
 * the *floor* (bench/floor-server.mjs: NestJS + Express + Prisma 7, nothing
 * else) and the *anchor* (bench/anchor-server.mjs: node:http + pg sending
 * musicpub's statements) — and one busy organization against 16.
 */
async function baselineScenarios(env, key) {
  const musicpub = await startServer(env);
  const floor = await startServer(env, [], [], 'bench/floor-server.mjs');
  const anchor = await startServer(env, [], [], 'bench/anchor-server.mjs');
  try {
    const json = { 'content-type': 'application/json' };
    const call = async (path, init) => {
      const res = await fetch(`${musicpub.url}${path}`, { ...init, headers: { ...json, 'x-api-key': key, ...init.headers } });
      if (!res.ok) throw new Error(`${init.method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    // A release as a catalogue holds it: three tracks of two credits each.
    const release = await call('/v1/releases', { method: 'POST', body: JSON.stringify({ title: 'Bench read', artists: ['Bench Artist'], genre: 'Jazz' }) });
    for (let n = 1; n <= 3; n++) {
      const contributors = [{ name: 'Bench Composer', role: 'composer' }, { name: 'Bench Artist', role: 'artist' }];
      await call(`/v1/releases/${release.id}/tracks`, { method: 'POST', body: JSON.stringify({ title: `Track ${n}`, contributors }) });
    }
    // Same work: the three servers answer the read with the same representation.
    const bodies = await Promise.all([musicpub, floor, anchor].map(async (s) => (await fetch(`${s.url}/v1/releases/${release.id}`, { headers: { 'x-api-key': key } })).text()));
    const canonical = bodies.map((text) => JSON.stringify(sortKeys(JSON.parse(text))));
    if (canonical.some((b) => b !== canonical[0])) throw new Error(`the servers answer the read differently:\n${bodies.join('\n')}`);
    const body = JSON.stringify({ title: 'Bench release', artists: ['Bench Artist'], genre: 'Electronic' });
    const idempotentPost = (url, keys) => {
      let next = 0;
      return {
        url,
        requests: [{
          method: 'POST',
          headers: json,
          body,
          // Fresh Idempotency-Key per request; with several keys, the requests take them in turn.
          setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-api-key': keys[next++ % keys.length], 'idempotency-key': randomUUID() } }),
        }],
      };
    };
    const read = (url) => ({ url: `${url}/v1/releases/${release.id}`, headers: { 'x-api-key': key } });
    const pairs = [];
    if (wanted('health')) pairs.push({ title: 'GET /health/live', against: 'floor', baseServer: floor, base: { url: `${floor.url}/health/live` }, subject: { url: `${musicpub.url}/health/live` }, target: 0.6 });
    if (wanted('read')) pairs.push({ title: 'GET /v1/releases/:id (3 tracks × 2 credits), API key', against: 'floor', baseServer: floor, base: read(floor.url), subject: read(musicpub.url), target: 0.9 });
    if (wanted('create')) {
      pairs.push({ title: 'POST /v1/releases + Idempotency-Key, one org', against: 'anchor', baseServer: anchor, base: idempotentPost(`${anchor.url}/v1/releases`, [key]), subject: idempotentPost(`${musicpub.url}/v1/releases`, [key]), target: 0.5, p99Target: 2 });
      // No target: how much of the gap to the anchor the stack (Nest, Prisma's interactive transaction) takes by itself.
      pairs.push({ title: 'POST /v1/releases + Idempotency-Key, one org', against: 'floor', baseServer: floor, base: idempotentPost(`${floor.url}/v1/releases`, [key]), subject: idempotentPost(`${musicpub.url}/v1/releases`, [key]), showP99: true });
    }
    if (wanted('orgs')) {
      const keys = [];
      for (let i = 0; i < 16; i++) keys.push(JSON.parse(run(process.execPath, ['dist/cli/main.js', 'org:create', '--name', `Bench Org ${i}`, '--json'], env).trim().split('\n').pop()).key);
      pairs.push({ title: 'POST /v1/releases + Idempotency-Key, one busy org', against: 'same, 16 orgs', baseServer: musicpub, base: idempotentPost(`${musicpub.url}/v1/releases`, keys), subject: idempotentPost(`${musicpub.url}/v1/releases`, [key]), target: 0.8 });
    }
    const result = [];
    if (wanted('cpu')) {
      // The bench servers sit idle meanwhile.
      const cpu = JSON.parse(run(process.execPath, [...serverNodeArgs(), '--expose-gc', 'bench/where-time-goes.mjs'], { ...env, BENCH_KEY: key, BENCH_RELEASE_ID: release.id }).trim().split('\n').pop());
      const titles = { health: 'GET /health/live', read: 'GET /v1/releases/:id (3 tracks × 2 credits), API key' };
      for (const [name, r] of Object.entries(cpu)) {
        result.push({ cpuOnly: true, title: `${titles[name]}: CPU per request in-process, no sockets`, against: 'floor', target: { health: 0.6, read: 0.9 }[name], base: { cpuUs: r.floor }, subject: { cpuUs: r.musicpub } });
        result.push({ allocationOnly: true, title: `${titles[name]}: bytes allocated per request in-process`, against: 'floor', base: { bytes: r.bytes.floor }, subject: { bytes: r.bytes.musicpub } });
      }
    }
    // Only when asked for by name: the count holds still only on a quiet machine (bench/instructions.mjs).
    if (ONLY?.includes('instructions')) {
      if (!callgrindAvailable()) {
        process.stderr.write('instructions: valgrind (callgrind_control, callgrind_annotate) is not installed; skipped\n');
      } else {
        // Webhook workers poll on a clock: under callgrind a request takes ~50× longer, so their
        // polls would be counted ~50× over. The request path is the same without them.
        const measured = { ...env, BENCH_KEY: key, BENCH_RELEASE_ID: release.id, WEBHOOK_WORKERS: '0' };
        const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
        for (const [name, title, target] of [['health', 'GET /health/live', 0.6], ['read', 'GET /v1/releases/:id (3 tracks × 2 credits), API key', 0.9]]) {
          const r = await instructionsPerRequest({ root, env: measured, nodeArgs, route: name });
          const without = process.env.BENCH_INSTRUCTIONS_WITHOUT ? `, musicpub without ${process.env.BENCH_INSTRUCTIONS_WITHOUT}` : '';
          result.push({ instructionsOnly: true, title: `${title}: instructions per request in-process (callgrind)${without}`, against: 'floor', target, base: { instructions: r.floor }, subject: { instructions: r.musicpub }, excluded: r.excluded });
        }
      }
    }
    for (const pair of pairs) {
      // Warm-up, not measured: JIT, Prisma's query compiler, pools and caches.
      for (const options of [pair.base, pair.subject]) await load({ title: `${pair.title} (warm-up)`, ...options, duration: 2 });
      const base = [];
      const subject = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [[base, pair.base], [subject, pair.subject]] : [[subject, pair.subject], [base, pair.base]];
        for (const [into, options] of order) {
          const server = options === pair.base ? pair.baseServer : musicpub;
          const before = cpuSeconds(server);
          const r = await load({ title: pair.title, ...options });
          into.push({ ...r, cpuUs: ((cpuSeconds(server) - before) * 1e6) / r.requests });
        }
      }
      const mean = (list, field) => list.reduce((sum, r) => sum + r[field], 0) / list.length;
      const summary = (list) => ({ rps: mean(list, 'rps'), p99: mean(list, 'p99'), cpuUs: mean(list, 'cpuUs') });
      // Each round's own ratio too: on a shared machine one round can differ from the next by more than a change is worth.
      const rounds = base.map((b, i) => subject[i].rps / b.rps);
      result.push({ ...pair, base: summary(base), subject: summary(subject), rounds });
    }
    return result;
  } finally {
    for (const server of [musicpub, floor, anchor]) await stopServer(server);
  }
}

/** CPU time (user + system) a server process has used so far, from /proc (Linux). */
function cpuSeconds(server) {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

function formatBaselineTable(rows) {
  if (rows.length === 0) return '';
  const lines = [
    `| Against the baselines (mean of ${ROUNDS} alternating rounds) | baseline | baseline req/s, p99 ms | musicpub req/s, p99 ms | ratio | each round | target | met | server CPU µs/request, baseline → musicpub |`,
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |',
  ];
  for (const r of rows) {
    if (r.allocationOnly) {
      // No target: how much more the young generation absorbs per request, which GC time follows.
      const kb = (bytes) => (bytes / 1024).toFixed(1);
      lines.push(`| ${r.title} | ${r.against} | – | – | ${(r.base.bytes / r.subject.bytes).toFixed(2)} (allocation) | – | – | – | ${kb(r.base.bytes)} → ${kb(r.subject.bytes)} KiB |`);
      continue;
    }
    if (r.instructionsOnly) {
      // Thousands of instructions per request (bench/instructions.mjs: steady on a quiet machine only),
      // and what was left out of musicpub's count: optimizing compiler, full collections.
      const ratio = r.base.instructions / r.subject.instructions;
      const k = (n) => (n / 1000).toFixed(0);
      const left = r.excluded.musicpub;
      lines.push(`| ${r.title} | ${r.against} | – | – | ${ratio.toFixed(2)} (instructions) | – | ≥ ${r.target}× | ${ratio >= r.target ? 'yes' : '**no**'} | ${k(r.base.instructions)}k → ${k(r.subject.instructions)}k instructions (left out: ${k(left.compiler)}k compiler, ${k(left.majorGc)}k full GC) |`);
      continue;
    }
    if (r.cpuOnly) {
      // Throughput if CPU were the only limit: the ratio of the floor's CPU per request to musicpub's.
      const ratio = r.base.cpuUs / r.subject.cpuUs;
      lines.push(`| ${r.title} | ${r.against} | – | – | ${ratio.toFixed(2)} (CPU) | – | ≥ ${r.target}× | ${ratio >= r.target ? 'yes' : '**no**'} | ${r.base.cpuUs.toFixed(0)} → ${r.subject.cpuUs.toFixed(0)} |`);
      continue;
    }
    const ratio = r.subject.rps / r.base.rps;
    const p99Ratio = r.subject.p99 / r.base.p99;
    const met = r.target === undefined ? '–' : ratio >= r.target && (r.p99Target === undefined || p99Ratio <= r.p99Target) ? 'yes' : '**no**';
    const target = r.target === undefined ? '–' : `≥ ${r.target}×${r.p99Target === undefined ? '' : `, p99 ≤ ${r.p99Target}×`}`;
    const ratios = `${ratio.toFixed(2)}${r.p99Target === undefined && !r.showP99 ? '' : ` (p99 ${p99Ratio.toFixed(2)}×)`}`;
    lines.push(`| ${r.title} | ${r.against} | ${r.base.rps.toFixed(0)}, ${r.base.p99.toFixed(0)} | ${r.subject.rps.toFixed(0)}, ${r.subject.p99.toFixed(0)} | ${ratios} | ${r.rounds.map((x) => x.toFixed(2)).join(', ')} | ${target} | ${met} | ${r.base.cpuUs.toFixed(0)} → ${r.subject.cpuUs.toFixed(0)} |`);
  }
  return lines.join('\n');
}

/**
 * Issue 5: a streamed WAV upload against a bare disk write of the same bytes,
 * each on a fresh server (so its memory is the upload's): as deployed (young
 * generation capped at 8 MiB per semi-space, src/node-flags.ts), and with V8
 * left to size its young generation from the machine's memory.
 */
async function uploadScenario(env, key) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'musicpub-bench-upload-'));
  try {
    const bare = await measureBareWrite({ dir, size: UPLOAD_BYTES });
    const result = [{ title: 'bare Node stream → file (baseline)', mbps: bare, baseline: bare, against: 'itself' }];
    for (const variant of [{ label: '', env: {} }, { label: ', MUSICPUB_NODE_FLAGS=off (V8 sizes its young generation itself)', env: { MUSICPUB_NODE_FLAGS: 'off' } }]) {
      const server = await startServer({ ...env, UPLOAD_DIR: path.join(dir, 'uploads'), UPLOAD_MAX_BYTES: String(2 * UPLOAD_BYTES), ...variant.env });
      try {
        const r = await measureUpload({ server, key, size: UPLOAD_BYTES });
        const flags = variant.label;
        result.push({ title: `POST /v1/uploads, ${(UPLOAD_BYTES / 1e6).toFixed(0)} MB WAV (${r.status})${flags}`, mbps: r.uploadMBps, baseline: bare, against: 'bare stream', idleRss: r.idleRss, peakRss: r.peakRss, hwm: r.hwm });
      } finally {
        await stopServer(server);
      }
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issues 6 and 11: WEBHOOK_EVENTS events fanned out and delivered with one
 * delivery loop (in the API process), then two (plus a `node dist/worker.js`).
 * Baseline: autocannon POSTing a delivery-sized body to the same receiver.
 */
async function webhookScenarios(env) {
  const receiver = await startReceiver();
  const hooksEnv = { ...env, WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_WORKERS: '1' };
  const newOrg = () => JSON.parse(run(process.execPath, ['dist/cli/main.js', 'org:create', '--name', 'Bench Webhooks', '--json'], env).trim().split('\n').pop());
  const result = [];
  try {
    const sample = JSON.stringify({ type: 'release.updated', timestamp: new Date().toISOString(), data: { releaseId: 'rel_bench0', n: 0 } });
    const bare = await load({ title: 'POST to the receiver, bare (baseline)', url: receiver.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: sample });
    result.push({ ...bare, rate: bare.rps, baseline: bare.rps, against: 'itself', latency: 'request' });
    const newId = idGenerator(root);
    for (const workers of [1, 2]) {
      const org = newOrg();
      const server = await startServer(hooksEnv);
      const extra = workers > 1 ? await startWorkerProcess(root, hooksEnv) : undefined;
      try {
        const who = workers === 1 ? '1 worker (API process)' : '2 workers (API process + npm run worker)';
        const burst = await fanOut({ serverUrl: server.url, databaseUrl: env.DATABASE_URL, org, receiver, events: WEBHOOK_EVENTS, newId });
        const oneWorker = result.find((r) => r.workers === 1 && r.burst);
        result.push({
          title: `fan-out of ${WEBHOOK_EVENTS.toLocaleString('en')} events at once, ${who}`,
          workers,
          burst: true,
          rate: burst.rate,
          p50: burst.p50,
          p99: burst.p99,
          latency: 'commit → receipt',
          ...(oneWorker ? { baseline: oneWorker.rate, against: '1 worker' } : { baseline: bare.rps, against: 'bare POST to the receiver' }),
        });
        // Events arriving at the target rate (a fresh organization and endpoint): latency when the workers keep up.
        const paced = await fanOut({ serverUrl: server.url, databaseUrl: env.DATABASE_URL, org: newOrg(), receiver, events: WEBHOOK_EVENTS, newId, ratePerSecond: WEBHOOK_TARGET_RATE });
        result.push({
          title: `${WEBHOOK_EVENTS.toLocaleString('en')} events at ${WEBHOOK_TARGET_RATE.toLocaleString('en')}/s, ${who}`,
          workers,
          rate: paced.rate,
          p50: paced.p50,
          p99: paced.p99,
          latency: 'commit → receipt',
          baseline: WEBHOOK_TARGET_RATE,
          against: 'offered rate',
        });
      } finally {
        if (extra) await stopWorkerProcess(extra);
        await stopServer(server);
      }
    }
  } finally {
    await receiver.close();
  }
  return result;
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

const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);
const mb = (bytes) => (bytes / 1e6).toFixed(0);

function formatUploadTable(rows) {
  if (rows.length === 0) return '';
  const lines = ['| Upload | MB/s | ratio | baseline | server RSS idle → peak during upload, MiB (MB); VmHWM MiB |', '| --- | ---: | ---: | --- | --- |'];
  for (const r of rows) {
    const memory = r.peakRss ? `${mib(r.idleRss)} → **${mib(r.peakRss)}** (${mb(r.idleRss)} → ${mb(r.peakRss)}); ${mib(r.hwm)}` : '';
    lines.push(`| ${r.title} | ${r.mbps.toFixed(0)} | ${(r.mbps / r.baseline).toFixed(2)} | ${r.against} | ${memory} |`);
  }
  return lines.join('\n');
}

function formatWebhookTable(rows) {
  if (rows.length === 0) return '';
  const lines = [
    `| Webhooks (target ≥ ${WEBHOOK_TARGET_RATE.toLocaleString('en')} deliveries/s) | req or deliveries/s | p50 ms | p99 ms | latency of | ratio | baseline |`,
    '| --- | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.title} | ${r.rate.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.latency} | ${(r.rate / r.baseline).toFixed(2)} | ${r.against} |`);
  }
  return lines.join('\n');
}

function writeReport(table, postgres) {
  const file = path.join(root, 'BENCHMARKS.md');
  const cpus = os.cpus();
  const section = [
    '<!-- bench:start -->',
    `Command: \`npm run bench\` (autocannon, ${CONNECTIONS} connections, ${DURATION} s per scenario; server in its own process, NODE_ENV=production, local PostgreSQL ${postgres.version}, synchronous_commit=${postgres.synchronousCommit}).`,
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
