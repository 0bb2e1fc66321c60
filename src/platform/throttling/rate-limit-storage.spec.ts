import { Logger } from '@nestjs/common';
import type { RedisConnection } from './redis-connection';
import { RateLimitStorage, REDIS_RETRY_AFTER_MS } from './rate-limit-storage';

/** A client whose scripts fail (Redis down) until `up` is set. */
function flakyRedis() {
  const state = { up: false, calls: 0 };
  const client = {
    defineCommand: () => undefined,
    rateLimitHit: async () => {
      state.calls++;
      if (!state.up) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
      return [7, 30_000];
    },
    rateLimitPeek: async () => {
      state.calls++;
      if (!state.up) throw new Error('Command timed out');
      return [7, 30_000];
    },
  };
  return { state, connection: { client } as unknown as RedisConnection };
}

describe('RateLimitStorage', () => {
  let warn: jest.SpiedFunction<Logger['warn']>;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('counts in memory when no Redis is configured', async () => {
    const storage = new RateLimitStorage({ client: undefined } as unknown as RedisConnection);
    expect(await storage.increment('default:key:a', 60_000, 2)).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await storage.increment('default:key:a', 60_000, 2);
    expect(await storage.increment('default:key:a', 60_000, 2)).toEqual({ totalHits: 3, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 });
    expect(await storage.peek('default:key:a', 60_000)).toMatchObject({ count: 3 });
  });

  it('uses Redis when it answers', async () => {
    const { state, connection } = flakyRedis();
    state.up = true;
    const storage = new RateLimitStorage(connection);
    expect(await storage.hit('k', 60_000)).toEqual({ count: 7, resetMs: 30_000 });
    expect(await storage.peek('k', 60_000)).toEqual({ count: 7, resetMs: 30_000 });
  });

  it('fails open to per-instance counters while Redis is down, warns once, and returns to Redis', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    const { state, connection } = flakyRedis();
    const storage = new RateLimitStorage(connection);

    expect(await storage.hit('k', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    expect(await storage.hit('k', 60_000)).toEqual({ count: 2, resetMs: 60_000 });
    expect(await storage.peek('k', 60_000)).toEqual({ count: 2, resetMs: 60_000 });
    // One failed attempt, then no request tries Redis (or waits for it) until the retry time.
    expect(state.calls).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);

    jest.advanceTimersByTime(REDIS_RETRY_AFTER_MS);
    await storage.hit('k', 60_000);
    expect(state.calls).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);

    state.up = true;
    jest.advanceTimersByTime(REDIS_RETRY_AFTER_MS);
    expect(await storage.hit('k', 60_000)).toEqual({ count: 7, resetMs: 30_000 });
  });
});
