import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '../../config/app-config';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

export type Tx = Prisma.TransactionClient;

/**
 * The one Prisma client of the process, over a `pg` pool through the driver
 * adapter (Prisma 7 needs no Rust engine at run time this way).
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
      }),
    });
  }

  /**
   * Runs `work` in one database transaction. Services write a change, its
   * outbox event and its audit entry through the same `tx`, so all commit or
   * none do. Inside `work`, never await another connection (the embedded
   * database serialises connections, and on a real server it risks deadlock).
   */
  transaction<T>(work: (tx: Tx) => Promise<T>, options: { isolationLevel?: Prisma.TransactionIsolationLevel } = {}): Promise<T> {
    return this.$transaction(work, { maxWait: 5000, timeout: 15000, ...options });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
