import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { SecretBox } from '../crypto/secret-box';
import { Conflict, Unprocessable, problemType } from '../errors/domain-errors';

/** How long a stored response is replayed (API guide: Idempotency). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface IdempotencyScope {
  orgId: string;
  credentialId: string;
  key: string;
}

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult = { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse };

interface RecordProbe {
  locked: boolean;
  sameRequestFree: boolean;
  fingerprint: string | null;
  responseStatus: number | null;
  responseHeaders: unknown;
  responseBody: string | null;
  expired: boolean | null;
}

function inUse(): Conflict {
  return new Conflict('A request with this Idempotency-Key is still being processed; retry later.', {
    type: problemType('idempotency-key-in-use'),
    headers: { 'Retry-After': '1' },
  });
}

function reused(): Unprocessable {
  // Draft §2.7: the same key with another request is a client error.
  return new Unprocessable('This Idempotency-Key was already used for a different request (method, path or body).', [], {
    type: problemType('idempotency-key-reused'),
  });
}

/**
 * Idempotency records in Postgres, so every API process sees the same keys
 * (API guide: Idempotency). Stored bodies are encrypted (a replayed key-creation response
 * holds a key).
 *
 * One protocol, inside the request's transaction (RequestTransaction): a
 * transaction-scoped advisory try-lock on the key, taken in the same
 * statement that reads its record. A concurrent duplicate fails the try-lock
 * and gets 409 at once; the response is stored by the transaction that made
 * the change, so the claim, the change, its events and the stored answer are
 * one commit, and a crash leaves nothing behind that could block the retry.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /**
   * Claims the key for the rest of `tx`: 'claimed' when the request should
   * run (then `completeWithin` in the same `tx`), else the stored response
   * to replay; 409 while another request holds the key, 422 for a different
   * request under the same key.
   */
  async claimWithin(scope: IdempotencyScope, fingerprint: string): Promise<ClaimResult> {
    const [probe] = await this.db.tx.$queryRaw<RecordProbe[]>`
      SELECT pg_try_advisory_xact_lock(hashtextextended(${lockName(scope)}, 0)) AS locked,
             pg_try_advisory_xact_lock(hashtextextended(${lockName(scope, fingerprint)}, 0)) AS "sameRequestFree",
             r.fingerprint, r.response_status AS "responseStatus", r.response_headers AS "responseHeaders",
             r.response_body AS "responseBody", r.expires_at <= now() AS expired
      FROM (SELECT 1) AS one
      LEFT JOIN idempotency_records r ON r.org_id = ${scope.orgId} AND r.credential_id = ${scope.credentialId} AND r.key = ${scope.key}`;
    const completed = probe.responseStatus !== null && !probe.expired;
    // A completed record is final: whoever holds the lock meanwhile is only
    // replaying it (or refusing a mismatch), so it never makes this one wait.
    // Otherwise the holder of a key also holds the lock on key+fingerprint: a
    // duplicate that finds that one free too is a different request under the same key.
    if (!probe.locked && !completed) throw probe.sameRequestFree ? reused() : inUse();
    if (probe.responseStatus === null) return { kind: 'claimed' };
    if (probe.expired) {
      // Past its 24 h (the purge has not reached it yet): as if it never was.
      await this.db.tx.idempotencyRecord.deleteMany({ where: scopeWhere(scope) });
      return { kind: 'claimed' };
    }
    if (probe.fingerprint !== fingerprint) throw reused();
    return { kind: 'replay', response: this.decode(scope, probe.responseStatus, probe.responseHeaders, probe.responseBody ?? '') };
  }

  /**
   * Stores the response of a request claimed with `claimWithin`, in the same
   * transaction. The key's lock is held since the claim, so the row cannot
   * have appeared meanwhile; should it have, this request rolls back.
   */
  async completeWithin(scope: IdempotencyScope, fingerprint: string, response: StoredResponse): Promise<void> {
    const inserted = await this.db.tx.$executeRaw`
      INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, expires_at,
                                       response_status, response_headers, response_body)
      VALUES (${scope.orgId}, ${scope.credentialId}, ${scope.key}, ${fingerprint},
              now() + ${IDEMPOTENCY_TTL_MS} * interval '1 millisecond', ${response.status}, ${JSON.stringify(response.headers)}::jsonb,
              ${this.box.seal(response.body, context(scope))})
      ON CONFLICT DO NOTHING`;
    if (inserted !== 1) throw inUse();
  }

  /** Removes records past their 24 h; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const { count } = await this.db.tx.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }

  private decode(scope: IdempotencyScope, status: number, headers: unknown, body: string): StoredResponse {
    return { status, headers: (headers ?? {}) as Record<string, string>, body: this.box.open(body, context(scope)) };
  }
}

function scopeWhere(scope: IdempotencyScope) {
  return { orgId: scope.orgId, credentialId: scope.credentialId, key: scope.key };
}

/** The advisory lock a key's requests serialize on (any process, same database). */
function lockName(scope: IdempotencyScope, fingerprint?: string): string {
  const name = `idempotency:${scope.orgId}:${scope.credentialId}:${scope.key}`;
  return fingerprint === undefined ? name : `${name}#${fingerprint}`;
}

function context(scope: IdempotencyScope): string {
  return `idempotency:${scope.orgId}:${scope.credentialId}:${scope.key}`;
}
