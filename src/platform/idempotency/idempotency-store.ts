import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { SecretBox } from '../crypto/secret-box';
import { Conflict, DomainError, Unprocessable, problemType } from '../http/problem-details';

/** How long a stored response is replayed (API.md §7). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A claim whose holder died is taken over after this; a live holder finishes far sooner (transactions time out at 15 s). */
export const IDEMPOTENCY_LEASE_MS = 30_000;

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
  state: string | null;
  responseStatus: number | null;
  responseHeaders: unknown;
  responseBody: string | null;
  expired: boolean | null;
  leaseOver: boolean | null;
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
 * (API.md §7). Stored bodies are encrypted (a replayed key-creation response
 * holds a key).
 *
 * Two protocols over the same table:
 * - Within the request's transaction (every JSON route): a transaction-scoped
 *   advisory try-lock on the key, taken in the same statement that reads its
 *   record. A concurrent duplicate fails the try-lock and gets 409 at once;
 *   the response is stored by the transaction that made the change, so the
 *   claim, the change, its events and the stored answer are one commit, and a
 *   crash leaves nothing behind that could block the retry.
 * - A committed lease (`claim`/`complete`/`release`) for requests that must not
 *   hold a transaction while they run (a streamed upload): the in-flight row
 *   tells duplicates to wait, and a holder that died leaves its lease to expire.
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
             r.fingerprint, r.state, r.response_status AS "responseStatus", r.response_headers AS "responseHeaders",
             r.response_body AS "responseBody", r.expires_at <= now() AS expired,
             r.locked_until IS NOT NULL AND r.locked_until <= now() AS "leaseOver"
      FROM (SELECT 1) AS one
      LEFT JOIN idempotency_records r ON r.org_id = ${scope.orgId} AND r.credential_id = ${scope.credentialId} AND r.key = ${scope.key}`;
    // The holder of a key also holds the lock on key+fingerprint: a duplicate
    // that finds that one free too is a different request under the same key.
    if (!probe.locked) throw probe.sameRequestFree ? reused() : inUse();
    if (probe.state === null) return { kind: 'claimed' };
    if (probe.expired || (probe.state === 'in_flight' && probe.leaseOver)) {
      // Past its 24 h, or a lease whose holder died: as if it never was.
      await this.db.tx.idempotencyRecord.deleteMany({ where: scopeWhere(scope) });
      return { kind: 'claimed' };
    }
    if (probe.fingerprint !== fingerprint) throw reused();
    if (probe.state === 'completed' && probe.responseStatus !== null) {
      return { kind: 'replay', response: this.decode(scope, probe.responseStatus, probe.responseHeaders, probe.responseBody) };
    }
    throw inUse();
  }

  /**
   * Stores the response of a request claimed with `claimWithin`, in its `tx`.
   * The row can only be there if a lease holder (an upload under the same key)
   * inserted it meanwhile: then this request loses, and rolls back.
   */
  async completeWithin(scope: IdempotencyScope, fingerprint: string, response: StoredResponse): Promise<void> {
    const inserted = await this.db.tx.$executeRaw`
      INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, state, locked_until, expires_at,
                                       response_status, response_headers, response_body)
      VALUES (${scope.orgId}, ${scope.credentialId}, ${scope.key}, ${fingerprint}, 'completed', NULL,
              now() + ${IDEMPOTENCY_TTL_MS} * interval '1 millisecond', ${response.status}, ${JSON.stringify(response.headers)}::jsonb,
              ${this.box.seal(response.body, context(scope))})
      ON CONFLICT DO NOTHING`;
    if (inserted !== 1) throw inUse();
  }

  async claim(scope: IdempotencyScope, fingerprint: string): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db.tx.$executeRaw`
        INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, state, locked_until, expires_at)
        VALUES (${scope.orgId}, ${scope.credentialId}, ${scope.key}, ${fingerprint}, 'in_flight',
                now() + ${IDEMPOTENCY_LEASE_MS} * interval '1 millisecond', now() + ${IDEMPOTENCY_TTL_MS} * interval '1 millisecond')
        ON CONFLICT DO NOTHING`;
      if (inserted === 1) return { kind: 'claimed' };

      const existing = await this.db.tx.idempotencyRecord.findUnique({
        where: { orgId_credentialId_key: { orgId: scope.orgId, credentialId: scope.credentialId, key: scope.key } },
      });
      if (!existing) continue; // released or purged meanwhile: try again
      if (existing.expiresAt.getTime() <= Date.now()) {
        await this.db.tx.idempotencyRecord.deleteMany({ where: { ...scopeWhere(scope), expiresAt: { lte: new Date() } } });
        continue;
      }
      if (existing.fingerprint !== fingerprint) throw reused();
      if (existing.state === 'completed' && existing.responseStatus !== null) {
        return { kind: 'replay', response: this.decode(scope, existing.responseStatus, existing.responseHeaders, existing.responseBody) };
      }
      // In flight. A holder that died leaves its lease to run out; then the
      // request never committed anything and may run again.
      const takenOver = await this.db.tx.$executeRaw`
        UPDATE idempotency_records SET locked_until = now() + ${IDEMPOTENCY_LEASE_MS} * interval '1 millisecond'
        WHERE org_id = ${scope.orgId} AND credential_id = ${scope.credentialId} AND key = ${scope.key}
          AND state = 'in_flight' AND locked_until <= now()`;
      if (takenOver === 1) return { kind: 'claimed' };
      throw inUse();
    }
    throw new DomainError(503, 'Could not claim the Idempotency-Key; retry shortly.', { headers: { 'Retry-After': '1' } });
  }

  /** Stores the response; call inside the request's transaction so it commits with the change. */
  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    const { count } = await this.db.tx.idempotencyRecord.updateMany({
      where: { ...scopeWhere(scope), state: 'in_flight' },
      data: {
        state: 'completed',
        lockedUntil: null,
        responseStatus: response.status,
        responseHeaders: response.headers,
        responseBody: this.box.seal(response.body, context(scope)),
      },
    });
    // The claim is gone (taken over after its lease ran out): roll the change
    // back rather than commit a side effect no record vouches for.
    if (count !== 1) throw new Conflict('The Idempotency-Key claim was lost while the request ran; retry it.', { type: problemType('idempotency-key-in-use') });
  }

  /** Frees the key after a failed attempt, so the client can retry it. */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.db.tx.idempotencyRecord.deleteMany({ where: { ...scopeWhere(scope), state: 'in_flight' } });
  }

  /** Removes records past their 24 h; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const { count } = await this.db.tx.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }

  private decode(scope: IdempotencyScope, status: number, headers: unknown, body: string | null): StoredResponse {
    return {
      status,
      headers: (headers ?? {}) as Record<string, string>,
      body: body === null ? '' : this.box.open(body, context(scope)),
    };
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
