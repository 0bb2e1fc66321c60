// The *anchor* (issue 15): `node:http` + `pg` sending the very statements
// musicpub sends (copied from its statement log; see
// test/request-statements.e2e-spec.ts), with nothing else around them — the
// physical limit of this machine for the same work.
// - GET /v1/releases/:id: API-key HMAC through a 750 ms cache, then Prisma's
//   relationJoins query for the release with tracks and contributors (one round trip).
// - POST /v1/releases with Idempotency-Key: one transaction of the same
//   statements (BEGIN; the claim's advisory try-locks and record probe; INSERT
//   release; INSERT outbox event; INSERT idempotency record with the sealed
//   response; the audit append, taking its turn among this process's appends
//   to the org's chain — one statement that moves the chain head and inserts
//   the event when the head is where the process forecast it, else that
//   statement, which then locks and returns the head, and the INSERT audit
//   event + move the head; COMMIT), with the same CPU work around them
//   (fingerprint, AES-GCM seal, RFC 8785 audit hash) using musicpub's own
//   helpers: bench/idempotent-create.mjs, which the floor sends through
//   Prisma's interactive transaction instead.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createRelease } from './idempotent-create.mjs';

const require = createRequire(import.meta.url);
const { Pool } = require('pg');
const { hashApiKey } = require('../dist/modules/api-keys/key-format.js');
const { presentRelease } = require('../dist/modules/releases/release.presenter.js');

const KEY_TTL_MS = 750;
const pepper = Buffer.from(process.env.API_KEY_PEPPER, 'base64');
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const keys = new Map();

async function keyOf(presented) {
  if (typeof presented !== 'string') return undefined;
  const hash = hashApiKey(pepper, presented);
  const hex = hash.toString('hex');
  const cached = keys.get(hex);
  if (cached && Date.now() - cached.at < KEY_TTL_MS) return cached.key;
  const { rows } = await pool.query('SELECT id, org_id FROM api_keys WHERE key_hash = $1', [hash]);
  if (rows.length === 0) return undefined;
  const key = { id: rows[0].id, orgId: rows[0].org_id };
  keys.set(hex, { key, at: Date.now() });
  return key;
}

const READ_RELEASE = `SELECT "t0"."id", "t0"."org_id" AS "orgId", "t0"."status", "t0"."status_reason" AS "statusReason", "t0"."title", "t0"."artists", "t0"."label", "t0"."upc", "t0"."release_date" AS "releaseDate", "t0"."original_release_date" AS "originalReleaseDate", "t0"."genre", "t0"."language", "t0"."explicit", "t0"."copyright_line" AS "copyrightLine", "t0"."phonographic_line" AS "phonographicLine", "t0"."territories", "t0"."version", "t0"."created_at" AS "createdAt", "t0"."updated_at" AS "updatedAt", "Release_tracks"."__prisma_data__" AS "tracks" FROM "public"."releases" AS "t0" LEFT JOIN LATERAL (SELECT COALESCE(JSONB_AGG("__prisma_data__"), '[]') AS "__prisma_data__" FROM (SELECT "t3"."__prisma_data__" FROM (SELECT JSONB_BUILD_OBJECT('id', "t2"."id", 'orgId', "t2"."org_id", 'releaseId', "t2"."release_id", 'trackNumber', "t2"."track_number", 'title', "t2"."title", 'isrc', "t2"."isrc", 'iswc', "t2"."iswc", 'explicit', "t2"."explicit", 'audioUploadId', "t2"."audio_upload_id", 'createdAt', "t2"."created_at", 'updatedAt', "t2"."updated_at", 'contributors', "Track_contributors"."__prisma_data__") AS "__prisma_data__", "t2"."track_number", "t2"."id" FROM (SELECT "t1".* FROM "public"."tracks" AS "t1" WHERE "t0"."id" = "t1"."release_id" /* root select */) AS "t2" LEFT JOIN LATERAL (SELECT COALESCE(JSONB_AGG("__prisma_data__"), '[]') AS "__prisma_data__" FROM (SELECT "t7"."__prisma_data__" FROM (SELECT JSONB_BUILD_OBJECT('id', "t6"."id", 'orgId', "t6"."org_id", 'trackId', "t6"."track_id", 'position', "t6"."position", 'name', "t6"."name", 'role', "t6"."role") AS "__prisma_data__", "t6"."position" FROM (SELECT "t5".* FROM "public"."track_contributors" AS "t5" WHERE "t2"."id" = "t5"."track_id" /* root select */) AS "t6" /* inner select */) AS "t7" ORDER BY "t7"."position" ASC /* middle select */) AS "t8" /* outer select */) AS "Track_contributors" ON true /* inner select */) AS "t3" ORDER BY "t3"."track_number" ASC /* middle select */) AS "t4" /* outer select */) AS "Release_tracks" ON true WHERE ("t0"."id" = $1 AND "t0"."org_id" = $2) LIMIT $3`;

function send(res, status, headers, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

async function readRelease(req, res, id) {
  const key = await keyOf(req.headers['x-api-key']);
  if (!key) return send(res, 401, {}, '{}');
  const { rows } = await pool.query(READ_RELEASE, [id, key.orgId, 1]);
  if (rows.length === 0) return send(res, 404, {}, '{}');
  const row = rows[0];
  row.tracks = row.tracks.map((t) => ({ ...t, createdAt: new Date(t.createdAt), updatedAt: new Date(t.updatedAt) }));
  send(res, 200, { etag: `"v${row.version}"` }, JSON.stringify(presentRelease(row)));
}

async function create(req, res, raw) {
  const key = await keyOf(req.headers['x-api-key']);
  if (!key) return send(res, 401, {}, '{}');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const request = { key, idempotencyKey: req.headers['idempotency-key'], raw, ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null };
    const { status, headers, body } = await createRelease(request, async (sql, params) => (await client.query(sql, params)).rows);
    await client.query(status === 201 ? 'COMMIT' : 'ROLLBACK');
    send(res, status, headers, body);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const server = createServer((req, res) => {
  const fail = (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    if (!res.headersSent) send(res, 500, {}, '{}');
  };
  if (req.method === 'GET' && req.url === '/health/live') return send(res, 200, {}, '{"status":"ok"}');
  if (req.method === 'GET' && req.url.startsWith('/v1/releases/')) return readRelease(req, res, req.url.slice('/v1/releases/'.length)).catch(fail);
  if (req.method === 'POST' && req.url === '/v1/releases') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => create(req, res, Buffer.concat(chunks).toString('utf8')).catch(fail));
    return;
  }
  send(res, 404, {}, '{}');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
