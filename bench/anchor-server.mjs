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
//   (fingerprint, AES-GCM seal, RFC 8785 audit hash) using musicpub's own helpers.
import { createServer } from 'node:http';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Pool } = require('pg');
const { hashApiKey } = require('../dist/modules/api-keys/key-format.js');
const { newId } = require('../dist/platform/ids.js');
const { chainHash } = require('../dist/platform/audit/audit-chain.js');
const { ChainHeadForecast } = require('../dist/platform/audit/chain-head-forecast.js');
const { presentRelease } = require('../dist/modules/releases/release.presenter.js');

const KEY_TTL_MS = 750;
const pepper = Buffer.from(process.env.API_KEY_PEPPER, 'base64');
const auditKey = Buffer.from(process.env.AUDIT_HMAC_KEY, 'base64');
const sealKey = randomBytes(32);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const keys = new Map();
const forecast = new ChainHeadForecast();

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

const CLAIM = `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked, pg_try_advisory_xact_lock(hashtextextended($2, 0)) AS "sameRequestFree", r.fingerprint, r.response_status AS "responseStatus", r.response_headers AS "responseHeaders", r.response_body AS "responseBody", r.expires_at <= now() AS expired FROM (SELECT 1) AS one LEFT JOIN idempotency_records r ON r.org_id = $3 AND r.credential_id = $4 AND r.key = $5`;
const INSERT_RELEASE = `INSERT INTO "public"."releases" ("id","org_id","status","title","artists","explicit","territories","version","created_at","updated_at") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING "public"."releases"."id", "public"."releases"."org_id", "public"."releases"."status", "public"."releases"."status_reason", "public"."releases"."title", "public"."releases"."artists", "public"."releases"."label", "public"."releases"."upc", "public"."releases"."release_date", "public"."releases"."original_release_date", "public"."releases"."genre", "public"."releases"."language", "public"."releases"."explicit", "public"."releases"."copyright_line", "public"."releases"."phonographic_line", "public"."releases"."territories", "public"."releases"."version", "public"."releases"."created_at", "public"."releases"."updated_at"`;
const INSERT_OUTBOX = `INSERT INTO "public"."outbox_events" ("id","org_id","type","data","occurred_at") VALUES ($1,$2,$3,$4,$5) RETURNING "public"."outbox_events"."id", "public"."outbox_events"."org_id", "public"."outbox_events"."type", "public"."outbox_events"."data", "public"."outbox_events"."occurred_at", "public"."outbox_events"."dispatched_at"`;
const INSERT_RECORD = `INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, expires_at, response_status, response_headers, response_body) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond', $6, $7::jsonb, $8) ON CONFLICT DO NOTHING`;
const LOCK_CHAIN = `INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING seq, hash`;
const FORECAST_APPEND = `WITH moved AS ( INSERT INTO audit_chain_heads AS h (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO UPDATE SET seq = CASE WHEN h.seq = $3::bigint AND h.hash = $4::varchar THEN $5::bigint ELSE h.seq END, hash = CASE WHEN h.seq = $3::bigint AND h.hash = $4::varchar THEN $6::varchar ELSE h.hash END RETURNING h.seq, h.hash), appended AS ( INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, status_code, ip, user_agent, request_id, changes, prev_hash, hash, hash_version) SELECT $7::varchar, $8::varchar, moved.seq, $9::timestamptz, $10::varchar, $11::varchar, $12::varchar, $13::varchar, $14::varchar, $15::varchar, $16::int, $17::varchar, $18::varchar, $19::varchar, $20::jsonb, $21::varchar, moved.hash, $22::smallint FROM moved WHERE moved.seq = $5::bigint AND moved.hash = $6::varchar RETURNING 1) SELECT moved.seq, moved.hash, EXISTS (SELECT 1 FROM appended) AS appended FROM moved`;
const APPEND_AUDIT = `WITH appended AS ( INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, status_code, ip, user_agent, request_id, changes, prev_hash, hash, hash_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18::smallint) RETURNING seq, hash) UPDATE audit_chain_heads SET seq = appended.seq, hash = appended.hash FROM appended WHERE chain = $19`;

function seal(plaintext) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64url')}.${data.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

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

async function createRelease(req, res, raw) {
  const key = await keyOf(req.headers['x-api-key']);
  if (!key) return send(res, 401, {}, '{}');
  const idempotencyKey = req.headers['idempotency-key'];
  const input = JSON.parse(raw);
  const fingerprint = createHash('sha256').update(`POST /v1/releases ${raw}`).digest('hex');
  const lock = `idempotency:${key.orgId}:${key.id}:${idempotencyKey}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const [probe] = (await client.query(CLAIM, [lock, `${lock}#${fingerprint}`, key.orgId, key.id, idempotencyKey])).rows;
    if (!probe.locked || probe.responseStatus !== null) {
      await client.query('ROLLBACK');
      return send(res, 409, {}, '{}');
    }
    const now = new Date();
    const id = newId('rel');
    const [row] = (await client.query(INSERT_RELEASE, [id, key.orgId, 'draft', input.title, input.artists, false, ['WW'], 1, now, now])).rows;
    const release = presentRelease({
      ...row, orgId: row.org_id, statusReason: row.status_reason, releaseDate: row.release_date, originalReleaseDate: row.original_release_date,
      copyrightLine: row.copyright_line, phonographicLine: row.phonographic_line, createdAt: row.created_at, updatedAt: row.updated_at, tracks: [],
    });
    await client.query(INSERT_OUTBOX, [newId('evt'), key.orgId, 'release.created', JSON.stringify({ release }), new Date()]);
    const body = JSON.stringify(release);
    const headers = { location: `/v1/releases/${id}`, etag: `"v1"` };
    await client.query(INSERT_RECORD, [key.orgId, key.id, idempotencyKey, fingerprint, 86_400_000, 201, JSON.stringify(headers), seal(body)]);
    const draft = {
      orgId: key.orgId, actorType: 'api_key', actorId: key.id, action: 'release.create', resourceType: 'release', resourceId: id, outcome: 'success',
      statusCode: 201, ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null, requestId: `req_${randomBytes(16).toString('hex')}`,
      changes: { fields: Object.keys(input), values: input },
    };
    const auditId = newId('aud');
    const chained = (head) => {
      const event = { ...draft, id: auditId, seq: BigInt(head.seq) + 1n, occurredAt: new Date() };
      return { event, hash: chainHash(head.hash, event, auditKey) };
    };
    await forecast.inTurn(key.orgId, {} /* this transaction */, async () => {
      const expected = forecast.expected(key.orgId);
      if (expected) {
        const { event, hash } = chained(expected);
        const [moved] = (await client.query(FORECAST_APPEND, [
          key.orgId, '0'.repeat(64), expected.seq.toString(), expected.hash, event.seq.toString(), hash, event.id, event.orgId, event.occurredAt, event.actorType,
          event.actorId, event.action, event.resourceType, event.resourceId, event.outcome, event.statusCode, event.ip, event.userAgent, event.requestId,
          JSON.stringify(event.changes), expected.hash, 2,
        ])).rows;
        if (moved.appended) return forecast.advance(key.orgId, { seq: event.seq, hash });
        return appendAfter(client, moved, chained, key.orgId);
      }
      const [head] = (await client.query(LOCK_CHAIN, [key.orgId, '0'.repeat(64)])).rows;
      return appendAfter(client, head, chained, key.orgId);
    });
    await client.query('COMMIT');
    send(res, 201, headers, body);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function appendAfter(client, head, chained, orgId) {
  const { event, hash } = chained(head);
  await client.query(APPEND_AUDIT, [
    event.id, event.orgId, event.seq.toString(), event.occurredAt, event.actorType, event.actorId, event.action, event.resourceType, event.resourceId,
    event.outcome, event.statusCode, event.ip, event.userAgent, event.requestId, JSON.stringify(event.changes), head.hash, hash, 2, orgId,
  ]);
  forecast.advance(orgId, { seq: event.seq, hash });
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
    req.on('end', () => createRelease(req, res, Buffer.concat(chunks).toString('utf8')).catch(fail));
    return;
  }
  send(res, 404, {}, '{}');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
