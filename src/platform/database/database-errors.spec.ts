import { classifyDatabaseError } from './database-errors';

/** The shape Prisma 7 gives a driver adapter's error (observed with @prisma/adapter-pg). */
function prismaAdapterError(prismaCode: string, cause: Record<string, unknown>): Error {
  return Object.assign(new Error('Database error.'), {
    name: 'PrismaClientKnownRequestError',
    code: prismaCode,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

describe('classifyDatabaseError', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection due to crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
  ])('treats a server that went away (%s, %s) inside a P2039 as unavailable', (code, message) => {
    const error = prismaAdapterError('P2039', { kind: 'postgres', code, originalCode: code, message, severity: 'FATAL' });
    expect(classifyDatabaseError(error)).toBe('unavailable');
  });

  it('treats an unreachable server inside a raw query error (P2010) as unavailable', () => {
    expect(classifyDatabaseError(prismaAdapterError('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }))).toBe('unavailable');
  });

  it('sees a unique violation inside a raw query error', () => {
    expect(classifyDatabaseError(prismaAdapterError('P2010', { kind: 'postgres', code: '23505', originalCode: '23505' }))).toBe('unique-violation');
  });

  it('leaves other database errors alone', () => {
    expect(classifyDatabaseError(prismaAdapterError('P2039', { kind: 'postgres', code: '42P01', originalCode: '42P01' }))).toBe('other');
    expect(classifyDatabaseError(new Error('boom'))).toBe('other');
    expect(classifyDatabaseError(null)).toBe('other');
  });

  it.each(['Client has encountered a connection error and is not queryable', 'Connection terminated unexpectedly', 'timeout exceeded when trying to connect'])(
    'treats pg\'s "%s" as unavailable',
    (message) => {
      expect(classifyDatabaseError(new Error(message))).toBe('unavailable');
    },
  );

  it('reads node and Prisma connection codes', () => {
    expect(classifyDatabaseError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('unavailable');
    expect(classifyDatabaseError(Object.assign(new Error('P1001'), { code: 'P1001' }))).toBe('unavailable');
  });
});
