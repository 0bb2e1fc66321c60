import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Db } from '../../platform/database/db';
import { UPLOAD_STORAGE, type UploadStorage } from './storage/upload-storage';

const DRAIN_INTERVAL_MS = 30_000;
const BATCH = 50;
/** While one instance works on a claimed key, others leave it alone for this long. */
const LEASE_SECONDS = 300;
const MAX_BACKOFF_SECONDS = 3600;

/**
 * Deleting stored objects reliably. The transaction that deletes an upload
 * row also records its key (`schedule`); once that has committed, `attempt`
 * deletes the object and forgets the key. When the store fails (down, slow,
 * refusing), the key stays and the timer retries it with backoff, on any
 * instance. So no upload row ever points at deleted bytes, and no deleted
 * upload's bytes are forgotten in the store.
 */
@Injectable()
export class StoredObjectDeletions {
  private readonly logger = new Logger(StoredObjectDeletions.name);

  constructor(
    private readonly db: Db,
    @Inject(UPLOAD_STORAGE) private readonly storage: UploadStorage,
  ) {}

  /** Records that `key`'s object must go (inside the transaction that removes its row). */
  async schedule(key: string): Promise<void> {
    await this.db.tx.$executeRaw`INSERT INTO stored_object_deletions (key) VALUES (${key}) ON CONFLICT (key) DO NOTHING`;
  }

  /** Deletes the object now; a failure leaves it scheduled (and scheduled if it was not), logged, never thrown. */
  async attempt(key: string): Promise<boolean> {
    try {
      await this.storage.delete(key);
    } catch (error) {
      this.logger.warn({ err: error, key }, 'could not delete a stored object; it will be retried');
      await this.failed(key, error).catch((e: unknown) => this.logger.error({ err: e, key }, 'could not schedule a stored object deletion'));
      return false;
    }
    await this.db.tx.storedObjectDeletion.deleteMany({ where: { key } });
    return true;
  }

  /** Retries the deletions that are due; returns how many objects were deleted. */
  @Interval(DRAIN_INTERVAL_MS)
  async drain(): Promise<number> {
    let deleted = 0;
    try {
      // Claim a batch by pushing its next attempt out (a lease), in one
      // statement: the deletes below run with no transaction open.
      const due = await this.db.tx.$queryRaw<Array<{ key: string }>>`
        UPDATE stored_object_deletions SET next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS}::float8)
        WHERE key IN (SELECT key FROM stored_object_deletions WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT ${BATCH}::int FOR UPDATE SKIP LOCKED)
        RETURNING key`;
      for (const { key } of due) if (await this.attempt(key)) deleted++;
      if (deleted > 0) this.logger.log(`deleted ${deleted} stored objects left by earlier failures`);
    } catch (error) {
      this.logger.warn({ err: error }, 'stored object deletion drain failed; will retry');
    }
    return deleted;
  }

  private async failed(key: string, error: unknown): Promise<void> {
    // The error's name and message (e.g. "ServiceUnavailable: …"), never request details.
    const lastError = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
    await this.db.tx.$executeRaw`
      INSERT INTO stored_object_deletions (key, attempts, next_attempt_at, last_error) VALUES (${key}, 1, now() + make_interval(secs => 30), ${lastError})
      ON CONFLICT (key) DO UPDATE SET attempts = stored_object_deletions.attempts + 1,
        next_attempt_at = now() + make_interval(secs => LEAST(${MAX_BACKOFF_SECONDS}::float8, 30 * power(2, LEAST(stored_object_deletions.attempts, 20)))),
        last_error = EXCLUDED.last_error`;
  }
}
