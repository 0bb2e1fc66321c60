/**
 * Refusals of callers nobody could identify (a made-up key, no credential, an
 * address over its `auth` budget), counted per address, action, status,
 * reason and route over a short window instead of one audit event each: a
 * flood of them then costs a map update per request and one event per bucket
 * per window, and the trail still says who knocked, how often and when.
 *
 * The number of buckets is bounded, so an attacker rotating addresses cannot
 * grow it without limit: past the bound, refusals are counted together in one
 * overflow bucket per action and status.
 */
import type { AuditDraft } from './audit-draft';

export interface AnonymousRefusal {
  ip: string | null;
  action: string;
  statusCode: number;
  reason?: string;
  method: string;
  route: string;
  userAgent: string | null;
  requestId: string | null;
  at: Date;
}

interface Bucket {
  first: AnonymousRefusal;
  count: number;
  lastAt: Date;
  /** The first few request ids, so a client quoting one can find its refusal. */
  requestIds: string[];
}

/** Request ids kept per bucket: enough to find a handful of refusals, bounded under a flood. */
export const SAMPLED_REQUEST_IDS = 20;

export const OVERFLOW_ROUTE = '(overflow)';

export class RefusalTally {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets: number) {}

  get size(): number {
    return this.buckets.size;
  }

  add(refusal: AnonymousRefusal): void {
    let key = bucketKey(refusal);
    if (!this.buckets.has(key) && this.buckets.size >= this.maxBuckets) {
      refusal = { ...refusal, ip: null, reason: undefined, route: OVERFLOW_ROUTE, method: '*', userAgent: null, requestId: null };
      key = bucketKey(refusal);
    }
    const bucket = this.buckets.get(key);
    if (bucket) {
      bucket.count++;
      if (refusal.at > bucket.lastAt) bucket.lastAt = refusal.at;
      if (refusal.requestId && bucket.requestIds.length < SAMPLED_REQUEST_IDS) bucket.requestIds.push(refusal.requestId);
    } else {
      this.buckets.set(key, { first: refusal, count: 1, lastAt: refusal.at, requestIds: refusal.requestId ? [refusal.requestId] : [] });
    }
  }

  /** One audit draft per bucket (outside any organization), and an empty tally. */
  drain(): AuditDraft[] {
    const buckets = [...this.buckets.values()];
    this.buckets = new Map();
    return buckets.map(({ first, count, lastAt, requestIds }) => ({
      orgId: null,
      actorType: 'anonymous',
      actorId: null,
      action: first.action,
      resourceType: null,
      resourceId: null,
      outcome: first.statusCode >= 500 ? 'error' : 'denied',
      statusCode: first.statusCode,
      ip: first.ip,
      userAgent: first.userAgent,
      // The first refusal's id, so a client quoting it can be found.
      requestId: first.requestId,
      changes: {
        method: first.method,
        route: first.route,
        ...(first.reason ? { reason: first.reason } : {}),
        count,
        firstAt: first.at.toISOString(),
        lastAt: lastAt.toISOString(),
        requestIds,
      },
    }));
  }
}

function bucketKey(r: AnonymousRefusal): string {
  return JSON.stringify([r.ip, r.action, r.statusCode, r.reason ?? null, r.method, r.route]);
}
