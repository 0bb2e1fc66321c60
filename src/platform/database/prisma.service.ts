import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { AppConfig } from '../../config/app-config';
import { PrismaClient } from '../../generated/prisma/client';

/**
 * The one Prisma client of the process, over a `pg` pool through the driver
 * adapter (Prisma 7 needs no Rust engine at run time this way). Code queries
 * through `Db` (db.ts), which hands out this client or the current
 * transaction's.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  /** The pool itself, held so /metrics can report its use; the adapter ends it on $disconnect. */
  readonly pool: Pool;

  constructor(config: AppConfig) {
    if (!config.databaseUrl) throw new Error('PrismaService needs a database URL');
    const pool = new Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolSize,
      // Fail fast when the database is down: requests answer 503 instead of hanging.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      // Names the tenant-serving pool in pg_stat_activity (the audit refusal writer has its own).
      application_name: 'musicpub',
    });
    super({
      adapter: new PrismaPg(pool, { disposeExternalPool: true }),
      // Waiting 5 s for a connection, 15 s for the work: past that the request answers 503 rather than hang.
      // Set here rather than as the transactional plugin's defaultTxOptions: options there make every
      // withTransaction joining the request's transaction log a warning ("options are ignored").
      transactionOptions: { maxWait: 5000, timeout: 15000 },
    });
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
