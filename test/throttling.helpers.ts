// Shared by the throttling e2e files: reading the rate-limit fields and the 429 problem.
import { randomInt } from 'node:crypto';
import type { Response } from 'supertest';

/** `RateLimit: "default";r=4;t=60, "uploads";r=1;t=60` → { default: { r: 4, t: 60 }, uploads: … }. */
export function rateLimitOf(res: Response): Record<string, { r: number; t: number }> {
  const header = res.headers['ratelimit'] as string | undefined;
  if (!header) throw new Error(`no RateLimit field on ${res.status} ${JSON.stringify(res.headers)}`);
  const out: Record<string, { r: number; t: number }> = {};
  for (const item of header.split(/,\s*/)) {
    const match = /^"([a-z]+)";r=(\d+);t=(\d+)$/.exec(item);
    if (!match) throw new Error(`malformed RateLimit item: ${item}`);
    out[match[1]] = { r: Number(match[2]), t: Number(match[3]) };
  }
  return out;
}

/** Asserts the 429 problem of API guide: Rate limits and returns its Retry-After in seconds. */
export function expectQuotaExceeded(res: Response, violated: string[]): number {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 429, title: 'Too Many Requests', 'violated-policies': violated });
  expect(res.body.type).toMatch(/#quota-exceeded$/);
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  for (const name of violated) expect(rateLimitOf(res)[name]).toEqual({ r: 0, t: expect.any(Number) });
  expect(res.headers['ratelimit-policy']).toBeDefined();
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
  return retryAfter;
}

/** Distinct client addresses (sent as X-Forwarded-For through a trusted loopback proxy), random per file. */
export function addressAllocator(): () => string {
  const net = randomInt(0, 256);
  let n = randomInt(0, 1000) * 100;
  return () => {
    n += 1;
    return `10.${net}.${(n >> 8) & 255}.${n & 255}`;
  };
}
