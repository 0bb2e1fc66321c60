import type { Redis } from 'ioredis';
import type { WindowState } from './rate-limit-headers';
import type { WindowCounters } from './window-counters';

/**
 * Fixed-window counters in Redis, shared by every instance. Each operation is
 * one Lua script, which Redis runs atomically: no two instances can both see
 * "59 of 60" and both pass, and the window's expiry is set by the same call
 * that opens it, so a counter can never be left without one. Windows are
 * timed by Redis's clock (PEXPIRE/PTTL), never by the instances' clocks.
 * Keys: `musicpub:ratelimit:<policy>:<tracker>` (after any ioredis keyPrefix
 * given in REDIS_URL's query string).
 */
export const REDIS_KEY_PREFIX = 'musicpub:ratelimit:';

// KEYS[1] counter, ARGV[1] window in ms → { count, ms until the window ends }
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

// KEYS[1] counter → { count, ms until the window ends (-2: no window open) }
const PEEK_SCRIPT = `
local count = redis.call('GET', KEYS[1])
if not count then return { 0, -2 } end
return { tonumber(count), redis.call('PTTL', KEYS[1]) }
`;

interface RateLimitScripts {
  rateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
  rateLimitPeek(key: string): Promise<[number, number]>;
}

export class RedisWindowCounters implements WindowCounters {
  private readonly scripts: RateLimitScripts;

  constructor(client: Redis) {
    // ioredis runs these with EVALSHA and falls back to EVAL once per script.
    client.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    client.defineCommand('rateLimitPeek', { numberOfKeys: 1, lua: PEEK_SCRIPT });
    this.scripts = client as unknown as RateLimitScripts;
  }

  async hit(key: string, windowMs: number): Promise<WindowState> {
    const [count, ttl] = await this.scripts.rateLimitHit(REDIS_KEY_PREFIX + key, windowMs);
    return { count: Number(count), resetMs: Number(ttl) };
  }

  async peek(key: string, windowMs: number): Promise<WindowState> {
    const [count, ttl] = await this.scripts.rateLimitPeek(REDIS_KEY_PREFIX + key);
    return { count: Number(count), resetMs: Number(ttl) < 0 ? windowMs : Number(ttl) };
  }
}
