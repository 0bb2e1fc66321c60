import { Logger } from '@nestjs/common';
import { IdempotencyPurge } from './idempotency-purge';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { IdempotencyStore } from './idempotency-store';

function purgeWith(purgeExpired: jest.Mock): IdempotencyPurge {
  return new IdempotencyPurge({ purgeExpired } as unknown as IdempotencyStore);
}

describe('IdempotencyPurge', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('returns how many expired records the store removed', async () => {
    const purgeExpired = jest.fn().mockResolvedValue(3);
    expect(await purgeWith(purgeExpired).run()).toBe(3);
    expect(purgeExpired).toHaveBeenCalledTimes(1);
  });

  it('survives a failing store (a later run retries) and reports 0', async () => {
    const purgeExpired = jest.fn().mockRejectedValueOnce(new Error('database down')).mockResolvedValueOnce(2);
    const purge = purgeWith(purgeExpired);
    await expect(purge.run()).resolves.toBe(0);
    await expect(purge.run()).resolves.toBe(2);
    expect(Logger.prototype.warn).toHaveBeenCalledTimes(1);
  });

  it('runs every ten minutes (on @nestjs/schedule) while the application runs', async () => {
    jest.useFakeTimers();
    const purgeExpired = jest.fn().mockResolvedValue(0);
    const moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot()],
      providers: [IdempotencyPurge, { provide: IdempotencyStore, useValue: { purgeExpired } }],
    }).compile();
    const app = await moduleRef.init();
    expect(purgeExpired).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(10 * 60 * 1000 - 1);
    expect(purgeExpired).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(purgeExpired).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(20 * 60 * 1000);
    expect(purgeExpired).toHaveBeenCalledTimes(3);

    await app.close();
    await jest.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(purgeExpired).toHaveBeenCalledTimes(3);
  });
});
