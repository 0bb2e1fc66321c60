import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import type { PrismaService } from './prisma.service';

/**
 * The one way code reaches the database (@nestjs-cls/transactional):
 * `db.tx` is the current transaction's client inside `db.withTransaction()`,
 * and the pool's client outside one. Repositories query through `db.tx`, so a
 * repository call joins whatever transaction its caller opened — the request
 * pipeline's, or a service's own — and no code path can wait on a second
 * connection while it holds one.
 *
 * `Db` is both the injection token (the class) and the typed handle, so
 * `constructor(private readonly db: Db)` needs no @Inject.
 */
export const Db = TransactionHost;
export type Db = TransactionHost<TransactionalAdapterPrisma<PrismaService>>;

/** What `db.tx` is: a transaction client or the plain client, with the same query API. */
export type DbClient = Db['tx'];
