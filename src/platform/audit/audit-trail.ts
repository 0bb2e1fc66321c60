import { Injectable, Logger } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { PrismaService, Tx } from '../database/prisma.service';
import { newId } from '../ids';
import { ChainVerification, ChainVerifier, GENESIS_HASH, chainHash } from './audit-chain';
import type { AuditDraft } from './audit-draft';

const VERIFY_BATCH = 1000;

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
 * Appends audit events to each organization's hash chain. Appending takes a
 * transaction-scoped advisory lock on the organization's chain, so concurrent
 * writers (in any process) line up and every event links to the one before
 * it; the lock is held only from the append to the commit, which is why
 * callers append last in their transaction.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);

  constructor(private readonly prisma: PrismaService) {}

  /** Appends inside the caller's transaction: the event commits with the change or not at all. */
  async append(tx: Tx, untrusted: AuditDraft): Promise<string> {
    const draft = wellFormed(untrusted);
    const chainKey = `audit:${draft.orgId ?? '-'}`;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${chainKey}, 0))`;
    const last = await tx.auditEvent.findFirst({
      where: { orgId: draft.orgId },
      orderBy: { seq: 'desc' },
      select: { seq: true, hash: true },
    });
    const event = {
      ...draft,
      id: newId('aud'),
      seq: (last?.seq ?? 0n) + 1n,
      occurredAt: new Date(),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const hash = chainHash(event.prevHash, event);
    await tx.auditEvent.create({ data: { ...event, changes: (draft.changes ?? undefined) as Prisma.InputJsonObject | undefined, hash } });
    return event.id;
  }

  /** Records an event on its own (denials, failures: there is no change to commit with). */
  async record(draft: AuditDraft): Promise<void> {
    try {
      await this.prisma.transaction((tx) => this.append(tx, draft));
    } catch (error) {
      // The request's own answer must not depend on the audit store being up;
      // the loss is logged loudly instead.
      this.logger.error({ err: error, action: draft.action, requestId: draft.requestId }, 'could not write audit event');
    }
  }

  async verify(orgId: string): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let afterSeq = 0n;
    for (;;) {
      const batch = await this.prisma.auditEvent.findMany({
        where: { orgId, seq: { gt: afterSeq } },
        orderBy: { seq: 'asc' },
        take: VERIFY_BATCH,
      });
      for (const event of batch) if (!verifier.feed(event)) return verifier.result();
      if (batch.length < VERIFY_BATCH) return verifier.result();
      afterSeq = batch[batch.length - 1].seq;
    }
  }
}
