/**
 * The rate-limit fields a response carries, as pure functions.
 *
 * `RateLimit-Policy` and `RateLimit` follow draft-ietf-httpapi-ratelimit-headers-11:
 * each is a Structured Field List (RFC 9651) with one Item per policy, the
 * policy name as an sf-string, `q` (quota) and `w` (window, seconds) on the
 * policy, `r` (remaining) and `t` (seconds until reset) on the current state.
 * The legacy `X-RateLimit-Limit/-Remaining/-Reset` (what @nestjs/throttler and
 * most client libraries know) describe one policy, the one that binds first,
 * and are unsuffixed whatever its name (API guide: Rate limits).
 */
export interface PolicyUsage {
  /** The throttler's name: `default`, `uploads` or `auth`. */
  name: string;
  quota: number;
  windowSeconds: number;
  /** Requests left in the current window (never negative). */
  remaining: number;
  /** Whole seconds until the window resets, rounded up so a client waiting this long is never early. */
  resetSeconds: number;
  /** This request went over the quota. */
  exceeded: boolean;
}

/** Where a policy's window stands, as the counters report it. */
export interface WindowState {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

/** Seconds until `ms` from now have passed, rounded up; at least 1 (a reset of 0 would invite an immediate retry). */
export function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export function usageOf(
  policy: { name: string; limit: number; windowSeconds: number },
  state: WindowState,
  exceeded = state.count > policy.limit,
): PolicyUsage {
  return {
    name: policy.name,
    quota: policy.limit,
    windowSeconds: policy.windowSeconds,
    remaining: Math.max(0, policy.limit - state.count),
    resetSeconds: secondsUntil(state.resetMs),
    exceeded,
  };
}

/**
 * The policy the legacy fields describe: one that was exceeded, else the one
 * with the fewest requests left (on a tie, the smaller quota, i.e. the more
 * specific policy such as `uploads` over `default`).
 */
export function bindingUsage(usages: readonly PolicyUsage[]): PolicyUsage | undefined {
  let binding: PolicyUsage | undefined;
  // The first of equals wins, as it would in a stable sort.
  for (const usage of usages) if (!binding || bindsBefore(usage, binding)) binding = usage;
  return binding;
}

function bindsBefore(a: PolicyUsage, b: PolicyUsage): boolean {
  return (Number(b.exceeded) - Number(a.exceeded) || a.remaining - b.remaining || a.quota - b.quota) < 0;
}

/** RFC 9651 §3.3.3 sf-string; policy names are ours, so only `"` and `\` need escaping. Each name's is kept: every response carries one. */
const sfStrings = new Map<string, string>();
function sfString(value: string): string {
  let quoted = sfStrings.get(value);
  if (quoted === undefined) sfStrings.set(value, (quoted = `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`));
  return quoted;
}

export function rateLimitHeaders(usages: readonly PolicyUsage[]): Record<string, string> {
  const binding = bindingUsage(usages);
  if (!binding) return {};
  return {
    'RateLimit-Policy': usages.map((u) => `${sfString(u.name)};q=${u.quota};w=${u.windowSeconds}`).join(', '),
    RateLimit: usages.map((u) => `${sfString(u.name)};r=${u.remaining};t=${u.resetSeconds}`).join(', '),
    'X-RateLimit-Limit': String(binding.quota),
    'X-RateLimit-Remaining': String(binding.remaining),
    'X-RateLimit-Reset': String(binding.resetSeconds),
  };
}

/** Sets the fields of `usages` on a response (the guard's verdict and the auth-attempt check both answer with them). */
export function setRateLimitFields(res: { setHeader(name: string, value: string): unknown }, usages: readonly PolicyUsage[]): void {
  const fields = rateLimitHeaders(usages);
  for (const field in fields) res.setHeader(field, fields[field]);
}

/** `Retry-After` for a refusal: the latest reset among the violated policies, so the retry lands after every one of them. */
export function retryAfterSeconds(violated: readonly PolicyUsage[]): number {
  return Math.max(1, ...violated.map((u) => u.resetSeconds));
}
