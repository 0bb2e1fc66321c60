import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '../../config/app-config';
import { Prisma, PrismaClient } from '../../generated/prisma/client';

export type Tx = Prisma.TransactionClient;

/** Client members that run a query, and so must follow the ambient transaction. */
const ROUTED_MEMBERS = new Set<string>([
  ...Object.values(Prisma.ModelName).map((name) => name[0].toLowerCase() + name.slice(1)),
  '$queryRaw',
  '$executeRaw',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
]);

/**
 * The one Prisma client of the process, over a `pg` pool through the driver
 * adapter (Prisma 7 needs no Rust engine at run time this way).
 *
 * Ambient transactions: while `transaction()` runs, every query made through
 * this service in the same async context — `prisma.release.findFirst(…)` as
 * much as `tx.release.create(…)` — goes to that transaction, and a nested
 * `transaction()` joins it. So a request-wide transaction (idempotency and
 * audit records committing with the change) needs no change in services, and
 * no code path can wait on a second connection while holding one (which
 * would deadlock the embedded database and can exhaust a real pool).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly ambient = new AsyncLocalStorage<Tx>();

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
    const ambient = this.ambient;
    return new Proxy(this, {
      get(target, property, receiver) {
        const tx = ambient.getStore();
        if (tx && typeof property === 'string') {
          if (ROUTED_MEMBERS.has(property)) {
            const member = (tx as unknown as Record<string, unknown>)[property];
            // Raw-query methods must run with the transaction as `this`.
            return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(tx) : member;
          }
          if (property === '$transaction') {
            return (work: unknown) => {
              if (typeof work !== 'function') throw new Error('Batch $transaction inside a transaction is not supported; use transaction()');
              return (work as (tx: Tx) => Promise<unknown>)(tx);
            };
          }
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  }

  /**
   * Runs `work` in one database transaction, or inside the ambient one when
   * there is one. Services write a change, its outbox event and its audit
   * entry through it, so all commit or none do.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>, options: { isolationLevel?: Prisma.TransactionIsolationLevel } = {}): Promise<T> {
    const current = this.ambient.getStore();
    if (current) return work(current);
    return this.$transaction((tx) => this.ambient.run(tx, () => work(tx)), { maxWait: 5000, timeout: 15000, ...options });
  }

  /** True while the caller runs inside `transaction()`. */
  get inTransaction(): boolean {
    return this.ambient.getStore() !== undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
