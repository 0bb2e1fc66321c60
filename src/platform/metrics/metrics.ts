import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PrismaService } from '../database/prisma.service';

/** Methods kept as labels; anything else a client invents is `other`, so a label's values stay few. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Label of a request no route matched: its path may carry anything, so it is never a label. */
export const UNMATCHED_ROUTE = '(unmatched)';

type Child = { inc(): void };
type TimedChild = { observe(value: number): void };

/**
 * The process's Prometheus metrics (prom-client), in a registry of its own so
 * several apps in one process (the e2e tests) never share counters.
 *
 * Labels are closed sets: route templates (`/v1/releases/:id`, never the
 * path), status codes, refusal reasons, policy names, outcomes. No id, key,
 * address or other client-chosen text becomes a label, which keeps the series
 * count bounded and secrets out of the scrape.
 *
 * The request path costs one counter increment and one histogram observation:
 * label children are looked up in nested maps, so a request builds no label
 * object or key string once its route has been seen.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'musicpub_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'musicpub_http_request_duration_seconds',
    help: 'Time from the first middleware to the last byte handed to the socket, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly authRefusals = new Counter({
    name: 'musicpub_auth_refusals_total',
    help: 'Refused credentials (401) and refused authorizations (403 for a missing scope or a disallowed address), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'musicpub_throttled_requests_total',
    help: 'Requests refused with 429, by the rate-limit policy that refused them.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  private readonly replays = new Counter({
    name: 'musicpub_idempotency_replays_total',
    help: 'Responses replayed from a stored Idempotency-Key record (Idempotent-Replayed: true).',
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'musicpub_webhook_deliveries_total',
    help: 'Webhook delivery attempts made by this process, by outcome: delivered, retry (scheduled again) or failed (given up).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly children = new Map<string, Map<string, Map<number, [Child, TimedChild]>>>();

  constructor(private readonly prisma: PrismaService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'musicpub_' });
    this.registerDatabaseGauges();
  }

  /** One answered request. `route` is a template or UNMATCHED_ROUTE, never a raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'other';
    let byRoute = this.children.get(m);
    if (!byRoute) this.children.set(m, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let pair = byStatus.get(status);
    if (!pair) {
      const labels = { method: m, route, status: String(status) };
      byStatus.set(status, (pair = [this.requests.labels(labels), this.durations.labels(labels)]));
    }
    pair[0].inc();
    pair[1].observe(seconds);
  }

  authRefused(reason: string): void {
    this.authRefusals.labels({ reason }).inc();
  }

  throttledBy(policies: readonly string[]): void {
    for (const policy of policies) this.throttled.labels({ policy }).inc();
  }

  idempotentReplay(): void {
    this.replays.inc();
  }

  webhookDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.deliveries.labels({ outcome }).inc();
  }

  /** The scrape: gauges read the pool and the database now. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Read at scrape time only, so the request path pays nothing for them. The
   * backlog counts are global (every process's work), while the pool is this
   * process's.
   */
  private registerDatabaseGauges(): void {
    const prisma = this.prisma;
    new Gauge({
      name: 'musicpub_db_pool_connections',
      help: "This process's PostgreSQL pool: open connections (total), idle ones, and requests waiting for one.",
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = prisma.pool;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({
      name: 'musicpub_db_pool_max_connections',
      help: "The pool's configured size (DATABASE_POOL_SIZE).",
      registers: [this.registry],
      collect() {
        this.set(prisma.pool.options.max ?? 10);
      },
    });
    new Gauge({
      name: 'musicpub_outbox_backlog',
      help: 'Events written by a change but not yet fanned out to webhook messages (all processes).',
      registers: [this.registry],
      async collect() {
        try {
          const [row] = await prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM outbox_events WHERE dispatched_at IS NULL`;
          this.set(Number(row.n));
        } catch {
          // The scrape still answers during a database outage (when it matters most); NaN says "unknown".
          this.set(Number.NaN);
        }
      },
    });
    new Gauge({
      name: 'musicpub_webhook_messages_backlog',
      help: 'Webhook messages not yet delivered or given up (all processes), by status: pending (waiting for an attempt) or delivering (leased by a worker).',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        let rows: Array<{ status: string; n: bigint }> | undefined;
        try {
          rows = await prisma.$queryRaw<Array<{ status: string; n: bigint }>>`
            SELECT status, count(*) AS n FROM webhook_messages WHERE status IN ('pending', 'delivering') GROUP BY status`;
        } catch {
          rows = undefined;
        }
        for (const status of ['pending', 'delivering']) {
          const row = rows?.find((r) => r.status === status);
          this.set({ status }, rows === undefined ? Number.NaN : Number(row?.n ?? 0));
        }
      },
    });
  }
}
