import { decideOutcome, MAX_RETRY_AFTER_MS, parseRetryAfter, withJitter } from './retry-policy';

const SCHEDULE = [1000, 10_000, 100_000];
const middle = () => 0.5; // no jitter

describe('decideOutcome', () => {
  it('delivers on any 2xx', () => {
    for (const statusCode of [200, 201, 202, 204, 299]) {
      expect(decideOutcome({ kind: 'response', statusCode }, 1, SCHEDULE, middle)).toEqual({ kind: 'delivered' });
    }
  });

  it('retries failures on the schedule, then fails after the last attempt', () => {
    const failure = { kind: 'response', statusCode: 500 } as const;
    expect(decideOutcome(failure, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(decideOutcome(failure, 2, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 10_000 });
    expect(decideOutcome(failure, 3, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 100_000 });
    expect(decideOutcome(failure, 4, SCHEDULE, middle)).toEqual({ kind: 'failed', disableEndpoint: false });
  });

  it('counts 3xx (never followed), 4xx, timeouts and transport errors as failures', () => {
    for (const result of [
      { kind: 'response', statusCode: 301 },
      { kind: 'response', statusCode: 307 },
      { kind: 'response', statusCode: 400 },
      { kind: 'error', error: 'timed out' },
    ] as const) {
      expect(decideOutcome(result, 1, SCHEDULE, middle).kind).toBe('retry');
    }
  });

  it('fails at once and disables the endpoint on 410 Gone', () => {
    expect(decideOutcome({ kind: 'response', statusCode: 410 }, 1, SCHEDULE, middle)).toEqual({ kind: 'failed', disableEndpoint: true });
  });

  it('honours Retry-After on 429 and 503 when it asks for longer than the schedule', () => {
    expect(decideOutcome({ kind: 'response', statusCode: 429, retryAfter: '120' }, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(decideOutcome({ kind: 'response', statusCode: 503, retryAfter: '120' }, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 120_000 });
    // Shorter than the schedule: the schedule wins (Retry-After is a minimum).
    expect(decideOutcome({ kind: 'response', statusCode: 429, retryAfter: '0' }, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 1000 });
    // Only on 429/503.
    expect(decideOutcome({ kind: 'response', statusCode: 500, retryAfter: '120' }, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: 1000 });
    // Capped.
    expect(decideOutcome({ kind: 'response', statusCode: 429, retryAfter: '99999999' }, 1, SCHEDULE, middle)).toEqual({ kind: 'retry', delayMs: MAX_RETRY_AFTER_MS });
    // Not beyond the last attempt.
    expect(decideOutcome({ kind: 'response', statusCode: 429, retryAfter: '1' }, 4, SCHEDULE, middle).kind).toBe('failed');
  });
});

describe('withJitter', () => {
  it('stays within ±20 %', () => {
    expect(withJitter(1000, () => 0)).toBe(800);
    expect(withJitter(1000, () => 0.999999)).toBe(1200);
    expect(withJitter(1000, () => 0.5)).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 5 ', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});
