import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { Db } from '../../platform/database/db';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { ApiKeysRepository } from './api-keys.repository';
import { eventData } from './api-keys.service';

const INTERVAL_NAME = 'key-expiry-notifier';
const BATCH = 500;

/**
 * Sends `api_key.expiring` (once a key enters its organization's notice
 * window) and `api_key.expired` (once its expiry has passed), each at most
 * once per key. Runs every KEY_EXPIRY_CHECK_INTERVAL_MS on every API
 * instance; the claim in the repository keeps instances from doubling up.
 * Registered with @nestjs/schedule's registry because the interval is
 * configured, which the @Interval decorator cannot take; absent in the CLI,
 * which has no scheduler.
 */
@Injectable()
export class KeyExpiryNotifier implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeyExpiryNotifier.name);
  private running: Promise<{ expiring: number; expired: number }> | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly repository: ApiKeysRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduler) return;
    this.scheduler.addInterval(INTERVAL_NAME, setInterval(() => void this.run(), this.config.keyExpiryCheckIntervalMs));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.scheduler?.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  /** One pass; a pass asked for while one runs joins it. */
  run(): Promise<{ expiring: number; expired: number }> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<{ expiring: number; expired: number }> {
    const sent = { expiring: 0, expired: 0 };
    try {
      for (const threshold of ['expiring', 'expired'] as const) {
        for (;;) {
          const count = await this.db.withTransaction(async () => {
            const keys = await this.repository.claimExpiryNotices(threshold, BATCH);
            for (const key of keys) {
              await this.outbox.record(key.orgId, `api_key.${threshold}`, { ...eventData(key), expiresAt: key.expiresAt!.toISOString() });
            }
            return keys.length;
          });
          sent[threshold] += count;
          if (count < BATCH) break;
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'key expiry notices failed; will retry');
    }
    return sent;
  }
}
