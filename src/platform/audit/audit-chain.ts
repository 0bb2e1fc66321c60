/**
 * The audit hash chain (API guide: Audit trail), pure: per organization, in `seq` order,
 * starting from GENESIS_HASH, each event's `hash` covers the previous one's
 * and the canonical JSON of the event (RFC 8785, JCS, via the `canonicalize`
 * package, so any verifier in any language can recompute it).
 *
 * Version 2 (every new event) is HMAC-SHA-256 under AUDIT_HMAC_KEY, a server
 * key kept out of the database: someone who can write the table can still
 * delete or edit rows, but cannot compute the hashes that would make the
 * result verify. Version 1 is the earlier unkeyed SHA-256; rows written
 * before the keyed chain keep it and still verify, but only up to the seq
 * each chain had when it was migrated (`legacy_seq` of audit_chain_heads), so
 * a chain cannot be rewritten into the unkeyed form past that point.
 */
import { createHash, createHmac, type KeyObject } from 'node:crypto';
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

export const LEGACY_HASH_VERSION = 1;
export const KEYED_HASH_VERSION = 2;

/** The AUDIT_HMAC_KEY bytes (or a KeyObject holding them). */
export type ChainKey = Buffer | KeyObject;

/** The hash of a new event: keyed (version 2). */
export function chainHash(prevHash: string, event: ChainedEventFields, key: ChainKey): string {
  return createHmac('sha256', key).update(prevHash).update(canonicalEvent(event)).digest('hex');
}

/** Version 1, unkeyed: how rows written before the keyed chain were hashed. */
export function legacyChainHash(prevHash: string, event: ChainedEventFields): string {
  return createHash('sha256').update(prevHash).update(canonicalEvent(event)).digest('hex');
}

export function hashOfVersion(version: number, prevHash: string, event: ChainedEventFields, key: ChainKey): string | undefined {
  if (version === KEYED_HASH_VERSION) return chainHash(prevHash, event, key);
  if (version === LEGACY_HASH_VERSION) return legacyChainHash(prevHash, event);
  return undefined;
}

export interface StoredChainedEvent extends ChainedEventFields {
  prevHash: string;
  hash: string;
  hashVersion: number;
}

/** A chain position someone vouched for earlier (a signed checkpoint). */
export interface ChainPosition {
  seq: bigint;
  hash: string;
}

/**
 * How the chain compares with a checkpoint: `match`; `truncated` (the chain
 * ends before the checkpoint's seq: newest events were deleted); `different`
 * (another event stands at that seq: rewritten); `unreached` (the chain broke
 * before it).
 */
export type CheckpointComparison = 'match' | 'truncated' | 'different' | 'unreached';

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
  /** The newest event that verified (seq 0 and GENESIS_HASH for an empty chain). */
  head: ChainPosition;
  /** Present when a checkpoint was given. */
  checkpoint?: CheckpointComparison;
}

export interface ChainVerifierOptions {
  /** Rows up to this seq may carry the unkeyed version 1 (the chain's length when it was migrated). */
  legacyThroughSeq?: bigint;
  /** A position the chain must still hold. */
  checkpoint?: ChainPosition;
  /** Start the walk after this position instead of at the beginning (to check one event on its own). */
  startAfter?: ChainPosition;
}

/**
 * Walks events in seq order (across batches, carrying `state`) and reports
 * the first one whose links or contents do not add up: an edited field, a
 * deleted or reordered row, a forged hash, a hash computed without the key,
 * or an unkeyed row past the chain's legacy part. With a checkpoint it also
 * reports whether the chain still holds that position, which is what reveals
 * deleted newest events (the rest of the chain still links up).
 */
export class ChainVerifier {
  private expectedPrev: string;
  private expectedSeq: bigint;
  private checked = 0;
  private broken?: string;
  private checkpointSeen?: boolean;

  constructor(
    private readonly key: ChainKey,
    private readonly options: ChainVerifierOptions = {},
  ) {
    this.expectedPrev = options.startAfter?.hash ?? GENESIS_HASH;
    this.expectedSeq = (options.startAfter?.seq ?? 0n) + 1n;
  }

  feed(event: StoredChainedEvent): boolean {
    if (this.broken) return false;
    this.checked++;
    const legacyAllowed = event.seq <= (this.options.legacyThroughSeq ?? 0n);
    const intact =
      event.seq === this.expectedSeq &&
      event.prevHash === this.expectedPrev &&
      (event.hashVersion === KEYED_HASH_VERSION || (event.hashVersion === LEGACY_HASH_VERSION && legacyAllowed)) &&
      event.hash === hashOfVersion(event.hashVersion, event.prevHash, event, this.key);
    if (!intact) {
      this.broken = event.id;
      return false;
    }
    if (this.options.checkpoint && event.seq === this.options.checkpoint.seq) this.checkpointSeen = event.hash === this.options.checkpoint.hash;
    this.expectedPrev = event.hash;
    this.expectedSeq++;
    return true;
  }

  result(): ChainVerification {
    const head = { seq: this.expectedSeq - 1n, hash: this.expectedPrev };
    const checkpoint = this.compareCheckpoint(head);
    const base = this.broken
      ? { ok: false, checked: this.checked, firstBrokenId: this.broken, head }
      : { ok: checkpoint === undefined || checkpoint === 'match', checked: this.checked, head };
    return checkpoint === undefined ? base : { ...base, checkpoint };
  }

  private compareCheckpoint(head: ChainPosition): CheckpointComparison | undefined {
    const checkpoint = this.options.checkpoint;
    if (!checkpoint) return undefined;
    if (checkpoint.seq === 0n) return checkpoint.hash === GENESIS_HASH ? 'match' : 'different';
    if (this.checkpointSeen !== undefined) return this.checkpointSeen ? 'match' : 'different';
    return this.broken ? 'unreached' : head.seq < checkpoint.seq ? 'truncated' : 'different';
  }
}
