import { Injectable, Logger } from '@nestjs/common';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { Prisma } from '../../generated/prisma/client';
import { Db, DbClient } from '../database/db';
import { newId } from '../ids';
import { ChainKey, ChainPosition, ChainVerification, ChainVerifier, GENESIS_HASH, KEYED_HASH_VERSION, chainHash } from './audit-chain';
import type { AuditDraft } from './audit-draft';
import { ChainHeadForecast } from './chain-head-forecast';
import { redactSecretShapes } from './secret-shapes';

const VERIFY_BATCH = 1000;
/** audit_events' columns, in the order both append statements give the values. */
const EVENT_COLUMNS = Prisma.raw(
  'id, org_id, seq, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, status_code, ip, user_agent, request_id, changes, prev_hash, hash, hash_version',
);
/** audit_chain_heads' key for events outside any organization. */
const ANONYMOUS_CHAIN = '-';

/**
 * Text from requests may hold what neither PostgreSQL (NUL) nor RFC 8785
 * (lone surrogates) accepts; a refused request must still be recorded, so
 * such characters become U+FFFD before hashing and storing.
 */
function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return value.toWellFormed().replace(/\u0000/g, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(wellFormed) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)])) as T;
  }
  return value;
}

/**
 * The table is append-only, so a credential that reaches it stays for ever:
 * whatever the client controls is cleared of credential-shaped values here,
 * on the one path every event takes, whichever code drafted it.
 */
function withoutSecrets(draft: AuditDraft): AuditDraft {
  return {
    ...draft,
    userAgent: draft.userAgent === null ? null : redactSecretShapes(draft.userAgent),
    requestId: draft.requestId === null ? null : redactSecretShapes(draft.requestId),
    changes: redactSecretShapes(draft.changes),
  };
}

/**
 * Appends audit events to each organization's hash chain. Appending locks the
 * chain's head row, so concurrent writers (in any process) line up and every
 * event links to the one before it; the lock is held only from the append to
 * the commit, which is why callers append last in their transaction.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);
  /** AUDIT_HMAC_KEY; never stored in the database the chain lives in. */
  private readonly key: KeyObject;
  private readonly forecast = new ChainHeadForecast();

  constructor(
    private readonly db: Db,
    config: AppConfig,
  ) {
    this.key = createSecretKey(config.auditHmacKey);
  }

  /**
   * Appends inside the caller's transaction (call it from within
   * `db.withTransaction`): the event commits with the change or not at all.
   */
  append(draft: AuditDraft): Promise<string> {
    return appendAuditEvent(this.db.tx, draft, this.key, this.forecast);
  }

  /** Records an event on its own (denials, failures: there is no change to commit with). */
  async record(draft: AuditDraft): Promise<void> {
    try {
      await this.db.withTransaction(() => this.append(draft));
    } catch (error) {
      // The request's own answer must not depend on the audit store being up;
      // the loss is logged loudly instead.
      this.logger.error({ err: error, action: draft.action, requestId: draft.requestId }, 'could not write audit event');
    }
  }

  /**
   * Recomputes the organization's chain; with `checkpoint` (a position
   * vouched for earlier, typically a signed checkpoint), also checks that the
   * chain still holds it.
   */
  async verify(orgId: string, checkpoint?: ChainPosition): Promise<ChainVerification> {
    const verifier = new ChainVerifier(this.key, { legacyThroughSeq: await this.legacyThroughSeq(orgId), checkpoint });
    let afterSeq = 0n;
    for (;;) {
      const batch = await this.db.tx.auditEvent.findMany({
        where: { orgId, seq: { gt: afterSeq } },
        orderBy: { seq: 'asc' },
        take: VERIFY_BATCH,
      });
      for (const event of batch) if (!verifier.feed(event)) return verifier.result();
      if (batch.length < VERIFY_BATCH) return verifier.result();
      afterSeq = batch[batch.length - 1].seq;
    }
  }

  /**
   * The organization's newest event, if its own hash verifies (the one event,
   * not the chain: O(1)), so a checkpoint never vouches for a forged tail.
   * Undefined when it does not; seq 0 for an empty chain.
   */
  async verifiedHead(orgId: string): Promise<ChainPosition | undefined> {
    const tail = await this.db.tx.auditEvent.findFirst({ where: { orgId }, orderBy: { seq: 'desc' } });
    if (!tail) return { seq: 0n, hash: GENESIS_HASH };
    // Judged on its own: its link to the previous event is the full verify's business.
    const verifier = new ChainVerifier(this.key, { legacyThroughSeq: await this.legacyThroughSeq(orgId), startAfter: { seq: tail.seq - 1n, hash: tail.prevHash } });
    return verifier.feed(tail) ? { seq: tail.seq, hash: tail.hash } : undefined;
  }

  /** How far the chain may carry unkeyed (version 1) hashes: its length when the keyed chain was introduced. */
  private async legacyThroughSeq(orgId: string): Promise<bigint> {
    const head = await this.db.tx.auditChainHead.findUnique({ where: { chain: orgId }, select: { legacySeq: true } });
    return head?.legacySeq ?? 0n;
  }
}

/** The part of a client that appending needs: `Db`'s, or a connection of its own (AnonymousRefusals). */
export type AuditClient = Pick<DbClient, '$queryRaw' | '$executeRaw'>;

/** The event as stored: the draft placed after `prev` in its chain, with its hash. */
function chained(draft: AuditDraft, id: string, prev: ChainPosition, key: ChainKey) {
  const event = { ...draft, id, seq: prev.seq + 1n, occurredAt: new Date(), prevHash: prev.hash };
  return { event, hash: chainHash(event.prevHash, event, key) };
}

/**
 * Appends `draft` to its chain through `tx`, which must be in a transaction
 * (the head stays locked until it commits).
 *
 * With a `forecast` that knows the chain (see ChainHeadForecast), one
 * statement: the event is hashed after the expected head, and the head is
 * locked, moved and the event inserted only if the head is still there; the
 * head row's lock is then held for the commit's round trip alone, which is
 * what bounds one busy organization's writes. Otherwise two: the head row is
 * locked and read (an upsert, so a new chain needs no setup, and READ
 * COMMITTED returns the newest committed head even after waiting for another
 * appender; a missed forecast has done this already), then the event is
 * inserted and the head moved to it in one statement.
 */
export function appendAuditEvent(tx: AuditClient, untrusted: AuditDraft, key: ChainKey, forecast?: ChainHeadForecast): Promise<string> {
  const draft = withoutSecrets(wellFormed(untrusted));
  const chain = draft.orgId ?? ANONYMOUS_CHAIN;
  return forecast ? forecast.inTurn(chain, tx, () => append(tx, draft, chain, key, forecast)) : append(tx, draft, chain, key);
}

async function append(tx: AuditClient, draft: AuditDraft, chain: string, key: ChainKey, forecast?: ChainHeadForecast): Promise<string> {
  const id = newId('aud');
  const changes = draft.changes === null || draft.changes === undefined ? null : JSON.stringify(draft.changes);
  const expected = forecast?.expected(chain);
  let head: ChainPosition;
  if (expected) {
    const { event, hash } = chained(draft, id, expected, key);
    // A chain the database does not have starts at genesis there: the forecast missed.
    const [moved] = await tx.$queryRaw<Array<{ seq: bigint; hash: string; appended: boolean }>>`
      WITH moved AS (
        INSERT INTO audit_chain_heads AS h (chain, seq, hash) VALUES (${chain}, 0, ${GENESIS_HASH})
        ON CONFLICT (chain) DO UPDATE SET
          seq = CASE WHEN h.seq = ${expected.seq}::bigint AND h.hash = ${expected.hash}::varchar THEN ${event.seq}::bigint ELSE h.seq END,
          hash = CASE WHEN h.seq = ${expected.seq}::bigint AND h.hash = ${expected.hash}::varchar THEN ${hash}::varchar ELSE h.hash END
        RETURNING h.seq, h.hash),
      appended AS (
        INSERT INTO audit_events (${EVENT_COLUMNS})
        SELECT ${event.id}::varchar, ${event.orgId}::varchar, moved.seq, ${event.occurredAt}::timestamptz, ${event.actorType}::varchar,
               ${event.actorId}::varchar, ${event.action}::varchar, ${event.resourceType}::varchar, ${event.resourceId}::varchar,
               ${event.outcome}::varchar, ${event.statusCode}::int, ${event.ip}::varchar, ${event.userAgent}::varchar,
               ${event.requestId}::varchar, ${changes}::jsonb, ${event.prevHash}::varchar, moved.hash, ${KEYED_HASH_VERSION}::smallint
        FROM moved WHERE moved.seq = ${event.seq}::bigint AND moved.hash = ${hash}::varchar
        RETURNING 1)
      SELECT moved.seq, moved.hash, EXISTS (SELECT 1 FROM appended) AS appended FROM moved`;
    if (moved.appended) {
      forecast!.advance(chain, { seq: event.seq, hash });
      return id;
    }
    head = { seq: moved.seq, hash: moved.hash };
  } else {
    [head] = await tx.$queryRaw<Array<{ seq: bigint; hash: string }>>`
      INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (${chain}, 0, ${GENESIS_HASH})
      ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain
      RETURNING seq, hash`;
  }
  const { event, hash } = chained(draft, id, head, key);
  await tx.$executeRaw`
    WITH appended AS (
      INSERT INTO audit_events (${EVENT_COLUMNS})
      VALUES (${event.id}, ${event.orgId}, ${event.seq}, ${event.occurredAt}, ${event.actorType}, ${event.actorId}, ${event.action},
              ${event.resourceType}, ${event.resourceId}, ${event.outcome}, ${event.statusCode}, ${event.ip}, ${event.userAgent},
              ${event.requestId}, ${changes}::jsonb, ${event.prevHash}, ${hash}, ${KEYED_HASH_VERSION}::smallint)
      RETURNING seq, hash)
    UPDATE audit_chain_heads SET seq = appended.seq, hash = appended.hash FROM appended WHERE chain = ${chain}`;
  forecast?.advance(chain, { seq: event.seq, hash });
  return id;
}
