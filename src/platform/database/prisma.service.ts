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
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
