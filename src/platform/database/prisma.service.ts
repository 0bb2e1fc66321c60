import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
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
  constructor(config: AppConfig) {
    if (!config.databaseUrl) throw new Error('PrismaService needs a database URL');
    super({
      adapter: new PrismaPg({
        connectionString: config.databaseUrl,
        max: config.databasePoolSize,
        // Fail fast when the database is down: requests answer 503 instead of hanging.
        connectionTimeoutMillis: 3000,
        idleTimeoutMillis: 30000,
        // Names the tenant-serving pool in pg_stat_activity (the audit refusal writer has its own).
        application_name: 'musicpub',
      }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
