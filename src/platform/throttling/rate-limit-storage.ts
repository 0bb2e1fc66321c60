import { Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { secondsUntil, WindowState } from './rate-limit-headers';
import { RedisConnection } from './redis-connection';
import { RedisWindowCounters } from './redis-window-counters';
import { MemoryWindowCounters, WindowCounters } from './window-counters';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** After Redis fails, how long to count locally before trying it again (no request pays a timeout meanwhile). */
export const REDIS_RETRY_AFTER_MS = 2000;

/**
 * The counters behind every policy: Redis when REDIS_URL is set (shared by all
 * instances), else this process's memory.
 *
 * Redis down: fail open to local counters, for every policy. Each instance
 * keeps enforcing each limit on its own counters, so during an outage a
 * client can get at most (instances × limit) per window instead of limit, and
 * nothing is ever unlimited. Failing closed instead would turn a Redis outage
 * into an API outage, and for `auth` into an authentication outage (every
 * authenticated request consults the `auth` budget). API keys carry ≥ 160
 * random bits, so a brief multiplied `auth` budget gives a guesser nothing;
 * the limit is there against stuffing lists and noise. The outage is logged
 * once (and the recovery), and /health/ready reports 503 meanwhile.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly local: WindowCounters;
  private readonly shared: WindowCounters | undefined;
  private retryRedisAt = 0;
  private degraded = false;

  constructor(redis: RedisConnection) {
    this.local = new MemoryWindowCounters();
    this.shared = redis.client ? new RedisWindowCounters(redis.client) : undefined;
  }

  /** Counts one request against `key` and reports its window: at once from memory, with a promise from Redis. */
  hit(key: string, windowMs: number): WindowState | Promise<WindowState> {
    return this.shared && Date.now() >= this.retryRedisAt ? this.withFallback('hit', key, windowMs) : this.local.hit(key, windowMs);
  }

  /** Reports `key`'s window without counting. */
  peek(key: string, windowMs: number): WindowState | Promise<WindowState> {
    return this.shared && Date.now() >= this.retryRedisAt ? this.withFallback('peek', key, windowMs) : this.local.peek(key, windowMs);
  }

  /**
   * @nestjs/throttler's storage contract. No block beyond the window: a
   * refused request is refused until its window ends, which is exactly what
   * Retry-After then says.
   */
  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const state = await this.hit(key, ttl);
    const timeToExpire = secondsUntil(state.resetMs);
    const isBlocked = state.count > limit;
    return { totalHits: state.count, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }

  private async withFallback(operation: 'hit' | 'peek', key: string, windowMs: number): Promise<WindowState> {
    try {
      const state = await this.shared![operation](key, windowMs);
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Redis answers again: rate-limit counters are shared across instances once more.');
      }
      return state;
    } catch (error) {
      this.retryRedisAt = Date.now() + REDIS_RETRY_AFTER_MS;
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn(
          `Redis is unavailable for rate limiting (${(error as Error).message}); counting per instance in memory until it answers.`,
        );
      }
      return this.local[operation](key, windowMs);
    }
  }
}
