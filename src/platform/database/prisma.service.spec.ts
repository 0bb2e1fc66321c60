// Transactions through Db against a real database are proven in test/transactions.e2e-spec.ts.
import { loadConfig } from '../../config/app-config';
import { PrismaService } from './prisma.service';

describe('PrismaService', () => {
  it('refuses to start without a database URL', () => {
    expect(() => new PrismaService(loadConfig({}))).toThrow(/database URL/);
  });
});
