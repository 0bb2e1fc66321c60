import { randomUUID } from 'node:crypto';
import { newId } from '../src/platform/ids';
import { startTestApp, TestApp } from './helpers/test-app';

describe('ambient transactions (PrismaService.transaction)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const orgName = () => `ambient ${randomUUID()}`;

  it('routes plain client calls made inside transaction() to the transaction', async () => {
    const name = orgName();
    const seenInside = await t.prisma.transaction(async (tx) => {
      await tx.organization.create({ data: { id: newId('org'), name } });
      // Not `tx`: the service-wide client. It must see the uncommitted row.
      return t.prisma.organization.count({ where: { name } });
    });
    expect(seenInside).toBe(1);
  });

  it('rolls back everything, including writes made through the plain client, when the work throws', async () => {
    const name = orgName();
    await expect(
      t.prisma.transaction(async () => {
        await t.prisma.organization.create({ data: { id: newId('org'), name } });
        await t.prisma.$executeRaw`INSERT INTO organizations (id, name) VALUES (${newId('org')}, ${name})`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.prisma.organization.count({ where: { name } })).toBe(0);
  });

  it('joins a nested transaction() instead of opening a second connection', async () => {
    const name = orgName();
    await expect(
      t.prisma.transaction(async () => {
        await t.prisma.transaction((tx) => tx.organization.create({ data: { id: newId('org'), name } }));
        expect(t.prisma.inTransaction).toBe(true);
        throw new Error('outer fails after inner');
      }),
    ).rejects.toThrow('outer fails');
    expect(await t.prisma.organization.count({ where: { name } })).toBe(0);
  });

  it('keeps concurrent transactions apart', async () => {
    const [a, b] = [orgName(), orgName()];
    const results = await Promise.allSettled([
      t.prisma.transaction(async () => {
        await t.prisma.organization.create({ data: { id: newId('org'), name: a } });
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('a fails');
      }),
      t.prisma.transaction(async () => {
        await new Promise((r) => setTimeout(r, 10));
        await t.prisma.organization.create({ data: { id: newId('org'), name: b } });
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await t.prisma.organization.count({ where: { name: a } })).toBe(0);
    expect(await t.prisma.organization.count({ where: { name: b } })).toBe(1);
  });
});
