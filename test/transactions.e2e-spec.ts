import { randomUUID } from 'node:crypto';
import { newId } from '../src/platform/ids';
import { startTestApp, TestApp } from './helpers/test-app';

// Db (@nestjs-cls/transactional) as services use it: what a repository reads
// and writes through `db.tx` follows the transaction its caller opened.
describe('transactions through Db', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const orgName = () => `tx ${randomUUID()}`;

  it('routes db.tx to the open transaction, and to the pool outside one', async () => {
    const name = orgName();
    const seenInside = await t.db.withTransaction(async () => {
      await t.db.tx.organization.create({ data: { id: newId('org'), name } });
      // The pool's client (another connection) cannot see the uncommitted row; db.tx can.
      expect(await t.prisma.organization.count({ where: { name } })).toBe(0);
      return t.db.tx.organization.count({ where: { name } });
    });
    expect(seenInside).toBe(1);
    expect(t.db.isTransactionActive()).toBe(false);
    expect(await t.db.tx.organization.count({ where: { name } })).toBe(1);
  });

  it('rolls back every write made through db.tx, raw or not, when the work throws', async () => {
    const name = orgName();
    await expect(
      t.db.withTransaction(async () => {
        await t.db.tx.organization.create({ data: { id: newId('org'), name } });
        await t.db.tx.$executeRaw`INSERT INTO organizations (id, name) VALUES (${newId('org')}, ${name})`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.prisma.organization.count({ where: { name } })).toBe(0);
  });

  it('joins a nested withTransaction instead of opening a second connection', async () => {
    const name = orgName();
    await expect(
      t.db.withTransaction(async () => {
        const outer = await t.db.tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
        await t.db.withTransaction(async () => {
          const inner = await t.db.tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
          expect(inner[0].pid).toBe(outer[0].pid);
          await t.db.tx.organization.create({ data: { id: newId('org'), name } });
        });
        throw new Error('outer fails after inner');
      }),
    ).rejects.toThrow('outer fails');
    expect(await t.prisma.organization.count({ where: { name } })).toBe(0);
  });

  it('keeps concurrent transactions apart', async () => {
    const [a, b] = [orgName(), orgName()];
    const results = await Promise.allSettled([
      t.db.withTransaction(async () => {
        await t.db.tx.organization.create({ data: { id: newId('org'), name: a } });
        await new Promise((resolve) => setTimeout(resolve, 30));
        return t.db.tx.organization.count({ where: { name: { in: [a, b] } } });
      }),
      t.db.withTransaction(async () => {
        await t.db.tx.organization.create({ data: { id: newId('org'), name: b } });
        throw new Error('b fails');
      }),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1].status).toBe('rejected');
    expect(await t.prisma.organization.count({ where: { name: { in: [a, b] } } })).toBe(1);
  });
});
