// A small HTTP client for the fault scenarios: every call is timed and bounded
// (a hang shows up as a slow or timed-out outcome, never as a stuck test), and
// network failures are outcomes too, not exceptions.
export interface Outcome {
  method: string;
  path: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** 0 when no HTTP answer came (connection refused or reset, or the client's deadline). */
  status: number;
  contentType: string;
  headers: Headers | undefined;
  text: string;
  json: any;
  error?: string;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** Client-side deadline; the default is generous on purpose so slow answers are measured, not cut. */
  timeoutMs?: number;
}

export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Outcome> {
  const startedAt = Date.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] ??= 'application/json';
  const base = { method, path, startedAt };
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    const endedAt = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { ...base, endedAt, durationMs: endedAt - startedAt, status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, text, json };
  } catch (error) {
    const endedAt = Date.now();
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      ...base,
      endedAt,
      durationMs: endedAt - startedAt,
      status: 0,
      contentType: '',
      headers: undefined,
      text: '',
      json: undefined,
      error: cause?.code ?? (error as Error).name ?? String(error),
    };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; throws after `timeoutMs` with `what`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** One line per outcome, for failure messages. */
export function summarize(outcomes: Outcome[], t0 = outcomes[0]?.startedAt ?? 0): string {
  return outcomes
    .map((o) => `+${o.startedAt - t0}ms ${o.method} ${o.path} → ${o.status || o.error} in ${o.durationMs} ms ${o.status >= 400 ? o.text.slice(0, 160) : ''}`)
    .join('\n');
}

/** Statuses per `bucketMs` from `t0`, one line per bucket: the shape of an incident at a glance. */
export function timeline(outcomes: Outcome[], t0: number, bucketMs = 500): string {
  const buckets = new Map<number, Map<string, number>>();
  for (const o of outcomes) {
    const bucket = Math.floor((o.startedAt - t0) / bucketMs);
    const counts = buckets.get(bucket) ?? new Map<string, number>();
    const key = String(o.status || o.error);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    buckets.set(bucket, counts);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, counts]) => `+${bucket * bucketMs}ms ${[...counts.entries()].map(([k, n]) => `${k}×${n}`).join(' ')}`)
    .join('\n');
}

/** What must never reach a client in an error body (API guide: Conventions). */
export const INTERNALS = /ECONNREFUSED|ECONNRESET|57P0\d|\bP10\d\d\b|prisma|postgres|pg_|\bSQL\b|SELECT |INSERT |\/work\/|node_modules|\n\s+at /i;
