// What happens after a delivery attempt (API guide: Webhooks), as a pure function of
// its result: 2xx delivered; 410 Gone disables the endpoint at once; anything
// else (3xx included: redirects are never followed, so one is a failure, not a
// pointer to somewhere else) is retried on WEBHOOK_RETRY_SCHEDULE with jitter,
// honouring Retry-After on 429/503, until the schedule runs out.

export type AttemptResult =
  | { kind: 'response'; statusCode: number; retryAfter?: string }
  | { kind: 'error'; error: string };

export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed'; disableEndpoint: boolean };

/** Cap on a receiver's Retry-After: it may slow us down, not park a message for ever. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/**
 * `attemptNumber` is 1-based. The schedule holds the delays *between*
 * attempts, so a schedule of n delays allows n + 1 attempts.
 */
export function decideOutcome(result: AttemptResult, attemptNumber: number, scheduleMs: readonly number[], random: () => number = Math.random, now = Date.now()): Outcome {
  if (result.kind === 'response') {
    if (result.statusCode >= 200 && result.statusCode < 300) return { kind: 'delivered' };
    if (result.statusCode === 410) return { kind: 'failed', disableEndpoint: true };
  }
  if (attemptNumber > scheduleMs.length) return { kind: 'failed', disableEndpoint: false };
  let delayMs = withJitter(scheduleMs[attemptNumber - 1], random);
  if (result.kind === 'response' && (result.statusCode === 429 || result.statusCode === 503) && result.retryAfter !== undefined) {
    const asked = parseRetryAfter(result.retryAfter, now);
    if (asked !== undefined) delayMs = Math.max(delayMs, Math.min(asked, MAX_RETRY_AFTER_MS));
  }
  return { kind: 'retry', delayMs };
}

/**
 * ±20 % around the scheduled delay, so endpoints that failed together (an
 * outage) are not retried in one synchronised burst.
 */
export function withJitter(delayMs: number, random: () => number = Math.random): number {
  return Math.round(delayMs * (0.8 + 0.4 * random()));
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; milliseconds from `now`, undefined when unparseable. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, date - now);
}
