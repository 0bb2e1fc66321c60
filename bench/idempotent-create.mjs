// The idempotent create of issue 15's baselines: the statements musicpub
// sends for `POST /v1/releases` with an Idempotency-Key (copied from its
// statement log; see test/request-statements.e2e-spec.ts) and the CPU work
// around them (SHA-256 fingerprint, AES-GCM seal of the stored response,
// RFC 8785 audit hash with musicpub's own helpers), shared by the anchor
// (`pg`, bench/anchor-server.mjs) and the floor (Prisma's interactive
// transaction, bench/floor-server.mjs), so the two differ only in how the
// statements reach PostgreSQL.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { newId } = require('../dist/platform/ids.js');
const { chainHash } = require('../dist/platform/audit/audit-chain.js');
const { ChainHeadForecast } = require('../dist/platform/audit/chain-head-forecast.js');
const { presentRelease } = require('../dist/modules/releases/release.presenter.js');

const CLAIM = `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked, pg_try_advisory_xact_lock(hashtextextended($2, 0)) AS "sameRequestFree", r.fingerprint, r.response_status AS "responseStatus", r.response_headers AS "responseHeaders", r.response_body AS "responseBody", r.expires_at <= now() AS expired FROM (SELECT 1) AS one LEFT JOIN idempotency_records r ON r.org_id = $3 AND r.credential_id = $4 AND r.key = $5`;
const INSERT_RELEASE = `INSERT INTO "public"."releases" ("id","org_id","status","title","artists","explicit","territories","version","created_at","updated_at") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING "public"."releases"."id", "public"."releases"."org_id", "public"."releases"."status", "public"."releases"."status_reason", "public"."releases"."title", "public"."releases"."artists", "public"."releases"."label", "public"."releases"."upc", "public"."releases"."release_date", "public"."releases"."original_release_date", "public"."releases"."genre", "public"."releases"."language", "public"."releases"."explicit", "public"."releases"."copyright_line", "public"."releases"."phonographic_line", "public"."releases"."territories", "public"."releases"."version", "public"."releases"."created_at", "public"."releases"."updated_at"`;
const INSERT_OUTBOX = `INSERT INTO "public"."outbox_events" ("id","org_id","type","data","occurred_at") VALUES ($1,$2,$3,$4,$5) RETURNING "public"."outbox_events"."id", "public"."outbox_events"."org_id", "public"."outbox_events"."type", "public"."outbox_events"."data", "public"."outbox_events"."occurred_at", "public"."outbox_events"."dispatched_at"`;
const INSERT_RECORD = `INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, expires_at, response_status, response_headers, response_body) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond', $6, $7::jsonb, $8) ON CONFLICT DO NOTHING`;
const LOCK_CHAIN = `INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING seq, hash`;
const FORECAST_APPEND = `WITH moved AS ( INSERT INTO audit_chain_heads AS h (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO UPDATE SET seq = CASE WHEN h.seq = $3::bigint AND h.hash = $4::varchar THEN $5::bigint ELSE h.seq END, hash = CASE WHEN h.seq = $3::bigint AND h.hash = $4::varchar THEN $6::varchar ELSE h.hash END RETURNING h.seq, h.hash), appended AS ( INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, status_code, ip, user_agent, request_id, changes, prev_hash, hash, hash_version) SELECT $7::varchar, $8::varchar, moved.seq, $9::timestamptz, $10::varchar, $11::varchar, $12::varchar, $13::varchar, $14::varchar, $15::varchar, $16::int, $17::varchar, $18::varchar, $19::varchar, $20::jsonb, $21::varchar, moved.hash, $22::smallint FROM moved WHERE moved.seq = $5::bigint AND moved.hash = $6::varchar RETURNING 1) SELECT moved.seq, moved.hash, EXISTS (SELECT 1 FROM appended) AS appended FROM moved`;
const APPEND_AUDIT = `WITH appended AS ( INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, status_code, ip, user_agent, request_id, changes, prev_hash, hash, hash_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18::smallint) RETURNING seq, hash) UPDATE audit_chain_heads SET seq = appended.seq, hash = appended.hash FROM appended WHERE chain = $19`;

const auditKey = Buffer.from(process.env.AUDIT_HMAC_KEY, 'base64');
const sealKey = randomBytes(32);
const forecast = new ChainHeadForecast();

function seal(plaintext) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64url')}.${data.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/**
 * One idempotent create inside a transaction the caller opened: `query(sql,
 * params)` sends one statement in it and resolves to its rows. Resolves to
 * the response, or to a 409 when the key is taken (the caller then rolls
 * back).
 */
export async function createRelease({ key, idempotencyKey, raw, ip, userAgent }, query) {
  const input = JSON.parse(raw);
  const fingerprint = createHash('sha256').update(`POST /v1/releases ${raw}`).digest('hex');
  const lock = `idempotency:${key.orgId}:${key.id}:${idempotencyKey}`;
  const [probe] = await query(CLAIM, [lock, `${lock}#${fingerprint}`, key.orgId, key.id, idempotencyKey]);
  if (!probe.locked || probe.responseStatus !== null) return { status: 409, headers: {}, body: '{}' };
  const now = new Date();
  const id = newId('rel');
  const [row] = await query(INSERT_RELEASE, [id, key.orgId, 'draft', input.title, input.artists, false, ['WW'], 1, now, now]);
  const release = presentRelease({
    ...row, orgId: row.org_id, statusReason: row.status_reason, releaseDate: row.release_date, originalReleaseDate: row.original_release_date,
    copyrightLine: row.copyright_line, phonographicLine: row.phonographic_line, createdAt: row.created_at, updatedAt: row.updated_at, tracks: [],
  });
  await query(INSERT_OUTBOX, [newId('evt'), key.orgId, 'release.created', JSON.stringify({ release }), new Date()]);
  const body = JSON.stringify(release);
  const headers = { location: `/v1/releases/${id}`, etag: `"v1"` };
  await query(INSERT_RECORD, [key.orgId, key.id, idempotencyKey, fingerprint, 86_400_000, 201, JSON.stringify(headers), seal(body)]);
  const draft = {
    orgId: key.orgId, actorType: 'api_key', actorId: key.id, action: 'release.create', resourceType: 'release', resourceId: id, outcome: 'success',
    statusCode: 201, ip, userAgent, requestId: `req_${randomBytes(16).toString('hex')}`,
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
      const [moved] = await query(FORECAST_APPEND, [
        key.orgId, '0'.repeat(64), expected.seq.toString(), expected.hash, event.seq.toString(), hash, event.id, event.orgId, event.occurredAt, event.actorType,
        event.actorId, event.action, event.resourceType, event.resourceId, event.outcome, event.statusCode, event.ip, event.userAgent, event.requestId,
        JSON.stringify(event.changes), expected.hash, 2,
      ]);
      if (moved.appended) return forecast.advance(key.orgId, { seq: event.seq, hash });
      return appendAfter(query, moved, chained, key.orgId);
    }
    const [head] = await query(LOCK_CHAIN, [key.orgId, '0'.repeat(64)]);
    return appendAfter(query, head, chained, key.orgId);
  });
  return { status: 201, headers, body };
}

async function appendAfter(query, head, chained, orgId) {
  const { event, hash } = chained(head);
  await query(APPEND_AUDIT, [
    event.id, event.orgId, event.seq.toString(), event.occurredAt, event.actorType, event.actorId, event.action, event.resourceType, event.resourceId,
    event.outcome, event.statusCode, event.ip, event.userAgent, event.requestId, JSON.stringify(event.changes), head.hash, hash, 2, orgId,
  ]);
  forecast.advance(orgId, { seq: event.seq, hash });
}
