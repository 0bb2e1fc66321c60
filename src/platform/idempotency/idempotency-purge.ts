import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { IdempotencyStore } from './idempotency-store';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Deletes idempotency records older than 24 h every ten minutes. Expired
 * records are already ignored by claim(); this only keeps the table small, so
 * running it on every instance at once is harmless.
 */
@Injectable()
export class IdempotencyPurge {
  private readonly logger = new Logger(IdempotencyPurge.name);

  constructor(private readonly store: IdempotencyStore) {}

  @Interval(PURGE_INTERVAL_MS)
  async run(): Promise<number> {
    try {
      const purged = await this.store.purgeExpired();
      if (purged > 0) this.logger.log(`purged ${purged} expired idempotency records`);
      return purged;
    } catch (error) {
      this.logger.warn({ err: error }, 'idempotency purge failed; will retry');
      return 0;
    }
  }
}
