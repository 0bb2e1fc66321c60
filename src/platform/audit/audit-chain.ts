/**
 * The audit hash chain (API.md §9), pure: `hash = SHA-256(prevHash ‖ canonical
 * JSON of the event)`, per organization, in `seq` order, starting from
 * GENESIS_HASH. Canonical JSON is RFC 8785 (JCS), via the `canonicalize`
 * package, so any verifier in any language can recompute it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEventFields {
  id: string;
  orgId: string | null;
  seq: bigint;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: string;
  statusCode: number;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: unknown;
}

export function canonicalEvent(event: ChainedEventFields): string {
  return canonicalJson({
    id: event.id,
    orgId: event.orgId,
    seq: event.seq.toString(),
    occurredAt: event.occurredAt.toISOString(),
    actor: { type: event.actorType, id: event.actorId },
    action: event.action,
    resource: { type: event.resourceType, id: event.resourceId },
    outcome: event.outcome,
    statusCode: event.statusCode,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    changes: event.changes ?? null,
  });
}

export function chainHash(prevHash: string, event: ChainedEventFields): string {
  return createHash('sha256').update(prevHash).update(canonicalEvent(event)).digest('hex');
}

export interface StoredChainedEvent extends ChainedEventFields {
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
}

/**
 * Walks events in seq order (across batches, carrying `state`) and reports
 * the first one whose links or contents do not add up: an edited field, a
 * deleted or reordered row, or a forged hash.
 */
export class ChainVerifier {
  private expectedPrev = GENESIS_HASH;
  private expectedSeq = 1n;
  private checked = 0;
  private broken?: string;

  feed(event: StoredChainedEvent): boolean {
    if (this.broken) return false;
    this.checked++;
    const intact =
      event.seq === this.expectedSeq && event.prevHash === this.expectedPrev && event.hash === chainHash(event.prevHash, event);
    if (!intact) {
      this.broken = event.id;
      return false;
    }
    this.expectedPrev = event.hash;
    this.expectedSeq++;
    return true;
  }

  result(): ChainVerification {
    return this.broken ? { ok: false, checked: this.checked, firstBrokenId: this.broken } : { ok: true, checked: this.checked };
  }
}
