import { bindingUsage, PolicyUsage, rateLimitHeaders, retryAfterSeconds, secondsUntil, usageOf } from './rate-limit-headers';

const usage = (overrides: Partial<PolicyUsage>): PolicyUsage => ({
  name: 'default',
  quota: 600,
  windowSeconds: 60,
  remaining: 599,
  resetSeconds: 42,
  exceeded: false,
  ...overrides,
});

describe('rate-limit headers', () => {
  it('writes the draft-11 fields and the legacy ones for a single policy', () => {
    expect(rateLimitHeaders([usage({})])).toEqual({
      'RateLimit-Policy': '"default";q=600;w=60',
      RateLimit: '"default";r=599;t=42',
      'X-RateLimit-Limit': '600',
      'X-RateLimit-Remaining': '599',
      'X-RateLimit-Reset': '42',
    });
  });

  it('lists every policy and describes the binding one in the legacy fields', () => {
    const headers = rateLimitHeaders([
      usage({ remaining: 500 }),
      usage({ name: 'uploads', quota: 30, remaining: 3, resetSeconds: 17 }),
    ]);
    expect(headers['RateLimit-Policy']).toBe('"default";q=600;w=60, "uploads";q=30;w=60');
    expect(headers.RateLimit).toBe('"default";r=500;t=42, "uploads";r=3;t=17');
    expect(headers['X-RateLimit-Limit']).toBe('30');
    expect(headers['X-RateLimit-Remaining']).toBe('3');
    expect(headers['X-RateLimit-Reset']).toBe('17');
  });

  it('writes nothing when no policy applied', () => {
    expect(rateLimitHeaders([])).toEqual({});
  });

  it('binds an exceeded policy first, then the fewest remaining, then the smaller quota', () => {
    const a = usage({ name: 'a', remaining: 0, quota: 10 });
    const b = usage({ name: 'b', remaining: 0, quota: 5 });
    const c = usage({ name: 'c', remaining: 3, exceeded: true });
    expect(bindingUsage([a, b, c])?.name).toBe('c');
    expect(bindingUsage([a, b])?.name).toBe('b');
    expect(bindingUsage([usage({ name: 'x', remaining: 9 }), a])?.name).toBe('a');
  });

  it('rounds resets up and never below one second', () => {
    expect(secondsUntil(59_001)).toBe(60);
    expect(secondsUntil(60_000)).toBe(60);
    expect(secondsUntil(1)).toBe(1);
    expect(secondsUntil(0)).toBe(1);
    expect(secondsUntil(-5)).toBe(1);
  });

  it('derives a usage from a window state', () => {
    const policy = { name: 'auth', limit: 20, windowSeconds: 60 };
    expect(usageOf(policy, { count: 1, resetMs: 60_000 })).toEqual({
      name: 'auth', quota: 20, windowSeconds: 60, remaining: 19, resetSeconds: 60, exceeded: false,
    });
    expect(usageOf(policy, { count: 21, resetMs: 1500 })).toMatchObject({ remaining: 0, resetSeconds: 2, exceeded: true });
    expect(usageOf(policy, { count: 20, resetMs: 1500 }, true)).toMatchObject({ remaining: 0, exceeded: true });
  });

  it('retries after the latest reset among the violated policies', () => {
    expect(retryAfterSeconds([usage({ resetSeconds: 12 }), usage({ resetSeconds: 40 })])).toBe(40);
    expect(retryAfterSeconds([])).toBe(1);
  });
});
