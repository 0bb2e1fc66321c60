// Unit-level proof of the ambient-transaction routing against a real database
// lives in test/ambient-transaction.e2e-spec.ts; this file checks the wiring
// that needs no database.
import { loadConfig } from '../../config/app-config';
import { PrismaService } from './prisma.service';

describe('PrismaService', () => {
  it('refuses to start without a database URL', () => {
    expect(() => new PrismaService(loadConfig({}))).toThrow(/database URL/);
  });

  it('is not in a transaction outside transaction()', () => {
    const prisma = new PrismaService(loadConfig({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' }));
    expect(prisma.inTransaction).toBe(false);
  });
});
