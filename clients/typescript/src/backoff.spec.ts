import { backoffMs, RETRY_DEFAULTS, retryAfterMs } from './backoff';

describe('retry timing', () => {
  it('reads Retry-After as delay-seconds or as an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Sat, 05 Dec 2026 12:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('Sat, 05 Dec 2026 11:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
  });

  it('backs off with full jitter: between 0 and base·2^(attempt-1), capped', () => {
    const options = { ...RETRY_DEFAULTS, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, options, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(3, options, () => 0)).toBe(0);
    expect(backoffMs(3, options, () => 0.5)).toBe(200);
  });
});
