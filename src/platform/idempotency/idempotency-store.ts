import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
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

/**
 * Idempotency records in Postgres, so every API process sees the same claims.
 * A claim is an INSERT … ON CONFLICT DO NOTHING committed before the handler
 * runs: of concurrent duplicates exactly one inserts, the others see its row.
 * Stored bodies are encrypted (a replayed key-creation response holds a key).
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
  ) {}

  async claim(scope: IdempotencyScope, fingerprint: string): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.prisma.$executeRaw`
        INSERT INTO idempotency_records (org_id, credential_id, key, fingerprint, state, locked_until, expires_at)
        VALUES (${scope.orgId}, ${scope.credentialId}, ${scope.key}, ${fingerprint}, 'in_flight',
                now() + ${IDEMPOTENCY_LEASE_MS} * interval '1 millisecond', now() + ${IDEMPOTENCY_TTL_MS} * interval '1 millisecond')
        ON CONFLICT DO NOTHING`;
      if (inserted === 1) return { kind: 'claimed' };

      const existing = await this.prisma.idempotencyRecord.findUnique({
        where: { orgId_credentialId_key: { orgId: scope.orgId, credentialId: scope.credentialId, key: scope.key } },
      });
      if (!existing) continue; // released or purged meanwhile: try again
      if (existing.expiresAt.getTime() <= Date.now()) {
        await this.prisma.idempotencyRecord.deleteMany({ where: { ...scopeWhere(scope), expiresAt: { lte: new Date() } } });
        continue;
      }
      if (existing.fingerprint !== fingerprint) {
        // Draft §2.7: the same key with another request is a client error.
        throw new Unprocessable('This Idempotency-Key was already used for a different request (method, path or body).', [], {
          type: problemType('idempotency-key-reused'),
        });
      }
      if (existing.state === 'completed' && existing.responseStatus !== null) {
        return { kind: 'replay', response: this.decode(scope, existing.responseStatus, existing.responseHeaders, existing.responseBody) };
      }
      // In flight. A holder that died leaves its lease to run out; then the
      // request never committed anything and may run again.
      const takenOver = await this.prisma.$executeRaw`
        UPDATE idempotency_records SET locked_until = now() + ${IDEMPOTENCY_LEASE_MS} * interval '1 millisecond'
        WHERE org_id = ${scope.orgId} AND credential_id = ${scope.credentialId} AND key = ${scope.key}
          AND state = 'in_flight' AND locked_until <= now()`;
      if (takenOver === 1) return { kind: 'claimed' };
      throw new Conflict('A request with this Idempotency-Key is still being processed; retry later.', {
        type: problemType('idempotency-key-in-use'),
        headers: { 'Retry-After': '1' },
      });
    }
    throw new DomainError(503, 'Could not claim the Idempotency-Key; retry shortly.', { headers: { 'Retry-After': '1' } });
  }

  /** Stores the response; call inside the request's transaction so it commits with the change. */
  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    const { count } = await this.prisma.idempotencyRecord.updateMany({
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
    await this.prisma.idempotencyRecord.deleteMany({ where: { ...scopeWhere(scope), state: 'in_flight' } });
  }

  /** Removes records past their 24 h; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
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

function context(scope: IdempotencyScope): string {
  return `idempotency:${scope.orgId}:${scope.credentialId}:${scope.key}`;
}
