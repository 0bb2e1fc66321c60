import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ApiKeysRepository } from './api-keys.repository';

const FLUSH_INTERVAL_MS = 5000;

/**
 * `lastUsedAt` without a write per request: uses are coalesced in memory and
 * written in one statement every few seconds (and on shutdown). The field is
 * therefore accurate to about five seconds, which is what it is for (spotting
 * unused keys), not an audit record (the audit trail is).
 */
@Injectable()
export class LastUsedTracker implements OnModuleDestroy {
  private readonly logger = new Logger(LastUsedTracker.name);
  private pending = new Map<string, Date>();

  constructor(private readonly repository: ApiKeysRepository) {}

  record(keyId: string, at = new Date()): void {
    this.pending.set(keyId, at);
  }

  @Interval(FLUSH_INTERVAL_MS)
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.repository.recordLastUsed(batch);
    } catch (error) {
      // Losing a few last-use times to a database blip is acceptable; keep them for the next try.
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
      this.logger.warn({ err: error }, 'could not record API key last-use times');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}
