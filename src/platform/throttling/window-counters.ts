import type { WindowState } from './rate-limit-headers';

/**
 * Fixed-window counters: the first hit opens a window of `windowMs`; hits in
 * it are counted; it resets when it ends. In-memory counters answer at once
 * (no promise: every authenticated request checks one and counts another),
 * shared ones with a promise.
 */
export interface WindowCounters {
  /** Counts one request and reports the window after it. */
  hit(key: string, windowMs: number): WindowState | Promise<WindowState>;
  /** Reports the window without counting (count 0 and a full window when none is open). */
  peek(key: string, windowMs: number): WindowState | Promise<WindowState>;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * In-process counters: the store without REDIS_URL, and every instance's
 * fallback while Redis does not answer. Expired windows are swept on use at
 * most once a minute, so memory follows the number of live windows and no
 * timer keeps the process alive.
 */
export class MemoryWindowCounters implements WindowCounters {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private nextSweepAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.nextSweepAt = now() + SWEEP_INTERVAL_MS;
  }

  peek(key: string, windowMs: number): WindowState {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || window.endsAt <= now) return { count: 0, resetMs: windowMs };
    return { count: window.count, resetMs: window.endsAt - now };
  }

  get size(): number {
    return this.windows.size;
  }

  hit(key: string, windowMs: number): WindowState {
    const now = this.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.endsAt - now };
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
  }
}
