import type { ApiKey } from '../../generated/prisma/client';

/**
 * A per-process cache of key rows, so authentication does not cost a query per
 * request. Entries live at most TTL_MS: a key revoked or expired on another
 * instance stops working here within that time (API guide: Authentication allows ≤ 1 s);
 * changes made by this process evict at once.
 */
export const KEY_STATE_TTL_MS = 750;

interface Entry {
  row: ApiKey;
  fetchedAt: number;
}

export class KeyStateCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  getByHash(hash: string, now = Date.now()): ApiKey | undefined {
    return this.fresh(this.byHash, hash, now);
  }

  getById(id: string, now = Date.now()): ApiKey | undefined {
    return this.fresh(this.byId, id, now);
  }

  put(hash: string | undefined, row: ApiKey, now = Date.now()): void {
    if (this.byId.size >= this.maxEntries) this.clear();
    const entry = { row, fetchedAt: now };
    this.byId.set(row.id, entry);
    if (hash) this.byHash.set(hash, entry);
  }

  evict(id: string): void {
    this.byId.delete(id);
    for (const [hash, entry] of this.byHash) if (entry.row.id === id) this.byHash.delete(hash);
  }

  clear(): void {
    this.byHash.clear();
    this.byId.clear();
  }

  private fresh(map: Map<string, Entry>, key: string, now: number): ApiKey | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (now - entry.fetchedAt >= KEY_STATE_TTL_MS) {
      map.delete(key);
      return undefined;
    }
    return entry.row;
  }
}
