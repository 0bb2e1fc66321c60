import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { IdempotencyStore } from './idempotency-store';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Deletes idempotency records older than 24 h every ten minutes. Expired
 * records are already ignored by claim(); this only keeps the table small, so
 * running it on every instance at once is harmless.
 */
@Injectable()
export class IdempotencyPurge implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyPurge.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: IdempotencyStore) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.run(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

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

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
