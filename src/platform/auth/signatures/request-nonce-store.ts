import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Db } from '../../database/db';
import { NONCE_WINDOW_SECONDS } from './signature-policy';

const PURGE_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The nonces of verified signed requests, in Postgres so that every API
 * instance sees every other's (API guide: Signed requests: a nonce is refused for 10 minutes
 * after its first use, on any instance).
 */
@Injectable()
export class RequestNonceStore {
  constructor(private readonly db: Db) {}

  /**
   * Records `nonce` for `keyId`; false when it is already recorded and
   * unexpired (a replay). One statement, so of concurrent uses exactly one
   * wins: the primary key decides. An expired row left by a late purge is
   * taken over rather than counted as a replay.
   */
  async remember(keyId: string, nonce: string): Promise<boolean> {
    const recorded = await this.db.tx.$executeRaw`
      INSERT INTO request_nonces (key_id, nonce, expires_at)
      VALUES (${keyId}, ${nonce}, now() + ${NONCE_WINDOW_SECONDS} * interval '1 second')
      ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
        WHERE request_nonces.expires_at <= now()`;
    return recorded === 1;
  }

  async purgeExpired(): Promise<number> {
    return this.db.tx.$executeRaw`DELETE FROM request_nonces WHERE expires_at <= now()`;
  }
}

/**
 * Deletes expired nonces every five minutes. remember() already ignores
 * them; this only keeps the table small, so every instance running it at
 * once is harmless.
 */
@Injectable()
export class RequestNoncePurge {
  private readonly logger = new Logger(RequestNoncePurge.name);

  constructor(private readonly store: RequestNonceStore) {}

  @Interval(PURGE_INTERVAL_MS)
  async run(): Promise<number> {
    try {
      return await this.store.purgeExpired();
    } catch (error) {
      this.logger.warn({ err: error }, 'request nonce purge failed; will retry');
      return 0;
    }
  }
}
