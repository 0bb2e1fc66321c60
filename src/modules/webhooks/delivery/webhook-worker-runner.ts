import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { DeliveryPump, PumpControl } from './delivery-pump';
import { DeliveryWorker } from './delivery-worker';
import { FAN_OUT_BATCH, OutboxDispatcher } from './outbox-dispatcher';

export const DELIVERY_OPTIONS = Symbol('WebhookDeliveryOptions');

export interface DeliveryOptions {
  /** At least this many loops whatever WEBHOOK_WORKERS says (the worker process runs ≥ 1). */
  minimumLoops?: number;
}

/**
 * Runs WEBHOOK_WORKERS delivery loops in this process. Each loop is two
 * tasks: a fan-out task that turns outbox events into messages, and a
 * DeliveryPump that keeps deliveries in flight. Neither waits for the other;
 * a fan-out that made messages wakes the pumps at once instead of leaving
 * them to their next poll. A task that finds nothing to do sleeps
 * WEBHOOK_POLL_INTERVAL_MS. Loops in this and other processes share the
 * tables through SKIP LOCKED claims, so adding loops adds throughput.
 *
 * Shutdown (Nest's onModuleDestroy, which runs before the global database
 * module closes its pool): no new fan-out or claim starts, sleeping tasks
 * wake, and the work in flight — a fan-out transaction, HTTP attempts and
 * their records — finishes first.
 */
@Injectable()
export class WebhookWorkerRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookWorkers');
  private readonly tasks: Promise<void>[] = [];
  private readonly sleepers = { fanOut: new Set<() => void>(), delivery: new Set<() => void>() };
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dispatcher: OutboxDispatcher,
    private readonly worker: DeliveryWorker,
    @Inject(DELIVERY_OPTIONS) private readonly options: DeliveryOptions,
  ) {}

  get loopCount(): number {
    return Math.max(this.options.minimumLoops ?? 0, this.config.webhookWorkers);
  }

  onApplicationBootstrap(): void {
    const runner = this;
    const control: PumpControl = {
      get stopping() {
        return runner.stopping;
      },
      idle: (ms, until) => this.sleep(ms, 'delivery', until),
    };
    for (let i = 0; i < this.loopCount; i++) {
      this.tasks.push(this.fanOutLoop(i), new DeliveryPump(this.worker, control, this.config.webhookPollIntervalMs, i).run());
    }
    if (this.loopCount > 0) this.logger.log(`${this.loopCount} webhook delivery loop(s) started`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake('fanOut');
    this.wake('delivery');
    await Promise.all(this.tasks);
  }

  /** One round (fan-out, then one batch of deliveries, recorded); exposed so tests and tools can drive delivery without timers. */
  async runOnce(): Promise<number> {
    const dispatched = await this.dispatcher.dispatchBatch();
    const delivered = await this.worker.deliverBatch();
    return dispatched + delivered;
  }

  private async fanOutLoop(loop: number): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let dispatched = 0;
      try {
        dispatched = await this.dispatcher.dispatchBatch();
        failures = 0;
      } catch (error) {
        // Typically the database being unavailable: back off, keep the loop alive.
        failures++;
        this.logger.error({ err: error, loop }, 'webhook fan-out round failed');
      }
      if (dispatched > 0) this.wake('delivery');
      // A full batch means more may be waiting: go again at once.
      if (dispatched < FAN_OUT_BATCH && !this.stopping) await this.sleep(this.config.webhookPollIntervalMs * Math.min(2 ** failures, 40), 'fanOut');
    }
  }

  private wake(kind: keyof WebhookWorkerRunner['sleepers']): void {
    for (const wake of this.sleepers[kind]) wake();
  }

  private sleep(ms: number, kind: keyof WebhookWorkerRunner['sleepers'], until?: Promise<unknown>): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers[kind].delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers[kind].add(wake);
      until?.then(wake, wake);
    });
  }
}
