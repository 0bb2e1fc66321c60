// Webhook fan-out scenario for `npm run bench` (issues 6 and 11): a burst of
// outbox events, fanned out and delivered by 1 or 2 workers to a receiver on
// 127.0.0.1 in the bench process; deliveries/s and commit → receipt latency.
//
// The load is inserted straight into outbox_events (bulk INSERT … unnest, one
// transaction per 1,000 events, or paced: one per 100 ms at a given rate), not
// made through the API: the scenario
// measures delivery, and creating 10,000 events through HTTP would take longer
// than delivering them and load the same two cores. Latency is receipt time
// minus the event's occurred_at (the body's `timestamp`), which is the start
// of the inserting transaction: a few ms before its commit, so the figure
// errs high. Both clocks are this machine's.
//
// Each run uses its own organization and endpoint (an endpoint receives only
// events that occurred after it was created), so runs do not see each other's
// messages. The receiver verifies every signature with the `standardwebhooks`
// package, and the run fails unless every event was delivered, every attempt
// the receiver saw is recorded, and no attempt was sent twice.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { Client } = require('pg');
const { Webhook } = require('standardwebhooks');

const INSERT_BATCH = 1000;

/** A receiver that answers 204 to every delivery and records when each arrived. */
export async function startReceiver() {
  const received = [];
  let verifier;
  let badSignatures = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier?.verify(body, req.headers);
      } catch {
        badSignatures++;
      }
      received.push({ id: req.headers['webhook-id'], at, occurredAt: Date.parse(JSON.parse(body).timestamp) });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    received,
    get badSignatures() {
      return badSignatures;
    },
    verifyWith(secret) {
      verifier = new Webhook(secret);
    },
    reset() {
      received.length = 0;
      badSignatures = 0;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

const workers = new Set();
process.on('exit', () => {
  for (const child of workers) child.kill('SIGKILL');
});

/** `node dist/worker.js` with `env`; resolves once its delivery loop runs. */
export function startWorkerProcess(root, env) {
  return new Promise((resolve, reject) => {
    // The same server-only flags as run.mjs gives bench/server.mjs.
    const args = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    if (process.env.BENCH_PROFILE_DIR) args.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`);
    const child = spawn(process.execPath, [...args, 'dist/worker.js'], { cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      if (/delivery loop\(s\) started/.test(out)) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}:\n${out}`)));
  });
}

export async function stopWorkerProcess(child) {
  child.removeAllListeners('exit');
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * One fan-out run against a server already started with delivery loops (and
 * any extra worker processes): creates an endpoint for the receiver in a fresh
 * organization (`org` = { orgId, key } from org:create), commits `events`
 * events, waits for every delivery and checks the tables.
 */
export async function fanOut({ serverUrl, databaseUrl, org, receiver, events, newId, ratePerSecond, timeoutMs = 180_000 }) {
  const res = await fetch(`${serverUrl}/v1/webhook-endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': org.key },
    body: JSON.stringify({ url: receiver.url, events: ['*'], description: 'bench receiver' }),
  });
  if (res.status !== 201) throw new Error(`creating the bench endpoint: ${res.status} ${await res.text()}`);
  receiver.verifyWith((await res.json()).secret);
  receiver.reset();

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const started = Date.now();
    // Burst: 1,000 per transaction, back to back. Paced: a transaction every
    // 100 ms, on a schedule that does not drift with the inserts' own time.
    const batch = ratePerSecond ? Math.max(1, Math.round(ratePerSecond / 10)) : INSERT_BATCH;
    for (let from = 0; from < events; from += batch) {
      if (ratePerSecond) {
        const due = started + (from / ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      const n = Math.min(batch, events - from);
      const ids = Array.from({ length: n }, () => newId('evt'));
      const data = Array.from({ length: n }, (_, i) => JSON.stringify({ releaseId: `rel_bench${from + i}`, n: from + i }));
      await db.query(
        `INSERT INTO outbox_events (id, org_id, type, data)
         SELECT id, $2, 'release.updated', d FROM unnest($1::text[], $3::jsonb[]) AS t(id, d)`,
        [ids, org.orgId, data],
      );
    }
    const committedMs = Date.now() - started;

    const deadline = Date.now() + timeoutMs;
    while (new Set(receiver.received.map((r) => r.id)).size < events) {
      if (Date.now() > deadline) throw new Error(`webhook fan-out: ${receiver.received.length} of ${events} deliveries after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Let the last outcomes be recorded before checking the tables.
    const settled = Date.now() + 10_000;
    let counts;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ({ rows: [counts] } = await db.query(
        `SELECT count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered, count(*)::int AS messages,
                (SELECT count(*)::int FROM webhook_attempts a JOIN webhook_messages m2 ON m2.id = a.message_id WHERE m2.org_id = $1) AS attempts
         FROM webhook_messages m WHERE m.org_id = $1`,
        [org.orgId],
      ));
    } while ((counts.delivered < events || counts.attempts < receiver.received.length) && Date.now() < settled);

    const received = receiver.received;
    const unique = new Set(received.map((r) => r.id)).size;
    const problems = [];
    if (counts.messages !== events || counts.delivered !== events) problems.push(`${counts.delivered}/${counts.messages} messages delivered, ${events} expected`);
    if (counts.attempts !== received.length) problems.push(`${counts.attempts} attempts recorded, ${received.length} received`);
    if (unique !== received.length) problems.push(`${received.length - unique} deliveries sent twice`);
    if (receiver.badSignatures > 0) problems.push(`${receiver.badSignatures} deliveries failed signature verification`);
    if (problems.length > 0) throw new Error(`webhook fan-out: ${problems.join('; ')}`);

    const first = Math.min(...received.map((r) => r.occurredAt));
    const last = Math.max(...received.map((r) => r.at));
    const latencies = received.map((r) => r.at - r.occurredAt).sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
    return { deliveries: unique, rate: unique / ((last - first) / 1000), p50: pct(50), p99: pct(99), max: latencies.at(-1), committedMs };
  } finally {
    await db.end();
  }
}

/** Loads dist's id generator, so bench events have the ids the app would give them. */
export function idGenerator(root) {
  return require(path.join(root, 'dist/platform/ids.js')).newId;
}
