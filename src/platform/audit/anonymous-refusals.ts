import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { PrismaPg } from '@prisma/adapter-pg';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { PrismaClient } from '../../generated/prisma/client';
import { Db } from '../database/db';
import { AuditClient, appendAuditEvent } from './audit-trail';
import { AnonymousRefusal, RefusalTally } from './refusal-tally';

/** How often counted refusals are written; also the finest time an operator can place one in. */
export const ANONYMOUS_REFUSAL_FLUSH_MS = 1000;
/** Distinct (address, action, status, reason, route) buckets kept per window. */
const MAX_BUCKETS = 5000;

/**
 * Records refusals of callers that could not be identified off the request
 * path: the response never waits for them, they are counted per address and
 * window (RefusalTally), and written once a second as one audit event per
 * bucket, in the chain of events outside any organization.
 *
 * The writes go through a connection of their own (not the pool that serves
 * tenants), so a flood of bad credentials can neither hold a tenant's
 * connection nor queue behind the chain's lock. With a single-connection
 * database (the embedded one) there is none to spare, and the app's own is used.
 */
@Injectable()
export class AnonymousRefusals implements OnModuleDestroy {
  private readonly logger = new Logger(AnonymousRefusals.name);
  private readonly tally = new RefusalTally(MAX_BUCKETS);
  private readonly own?: PrismaClient;
  private readonly chainKey: KeyObject;
  private flushing?: Promise<void>;
  private followUp?: Promise<void>;

  constructor(
    config: AppConfig,
    private readonly db: Db,
  ) {
    this.chainKey = createSecretKey(config.auditHmacKey);
    if (config.databaseUrl && config.databasePoolSize > 1) {
      this.own = new PrismaClient({
        adapter: new PrismaPg({
          connectionString: config.databaseUrl,
          max: 1,
          connectionTimeoutMillis: 3000,
          idleTimeoutMillis: 30000,
          application_name: 'musicpub-audit-refusals',
        }),
      });
    }
  }

  add(refusal: AnonymousRefusal): void {
    this.tally.add(refusal);
  }

  /** Writes what was counted since the last flush; never throws (a lost batch is logged). */
  @Interval(ANONYMOUS_REFUSAL_FLUSH_MS)
  flush(): Promise<void> {
    // One write at a time, and at most one queued behind it: a slow database
    // must not stack writers up, yet a caller asking for a flush gets one that
    // covers everything counted before it asked.
    if (!this.flushing) {
      this.flushing = this.write().finally(() => (this.flushing = undefined));
      return this.flushing;
    }
    this.followUp ??= this.flushing.then(() => {
      this.followUp = undefined;
      return this.flush();
    });
    return this.followUp;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushing;
    await this.flush();
    await this.own?.$disconnect();
  }

  private async write(): Promise<void> {
    if (this.tally.size === 0) return;
    const drafts = this.tally.drain();
    const append = async (tx: AuditClient) => {
      for (const draft of drafts) await appendAuditEvent(tx, draft, this.chainKey);
    };
    try {
      if (this.own) await this.own.$transaction(append, { maxWait: 5000, timeout: 15000 });
      else await this.db.withTransaction(() => append(this.db.tx));
    } catch (error) {
      const refusals = drafts.reduce((n, d) => n + Number((d.changes as { count?: number } | null)?.count ?? 1), 0);
      this.logger.error({ err: error, events: drafts.length, refusals }, 'could not write counted anonymous refusals to the audit trail');
    }
  }
}
