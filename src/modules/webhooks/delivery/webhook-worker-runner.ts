import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { DeliveryWorker } from './delivery-worker';
import { OutboxDispatcher } from './outbox-dispatcher';

export const DELIVERY_OPTIONS = Symbol('WebhookDeliveryOptions');

export interface DeliveryOptions {
  /** At least this many loops whatever WEBHOOK_WORKERS says (the worker process runs ≥ 1). */
  minimumLoops?: number;
}

/**
 * Runs WEBHOOK_WORKERS delivery loops in this process. Each loop fans out
 * outbox events, then delivers due messages; when a round finds nothing it
 * sleeps WEBHOOK_POLL_INTERVAL_MS. Loops in this and other processes share
 * the tables through SKIP LOCKED claims, so adding loops adds throughput.
 *
 * Shutdown (Nest's onModuleDestroy, which runs before the global database
 * module closes its pool): no new round starts, sleeping loops wake, and the
 * round in flight — its HTTP attempts and their records — finishes first.
 */
@Injectable()
export class WebhookWorkerRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookWorkers');
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
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
    for (let i = 0; i < this.loopCount; i++) this.loops.push(this.run(i));
    if (this.loops.length > 0) this.logger.log(`${this.loops.length} webhook delivery loop(s) started`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await Promise.all(this.loops);
  }

  /** One round (fan-out, then delivery); exposed so tests and tools can drive delivery without timers. */
  async runOnce(): Promise<number> {
    const dispatched = await this.dispatcher.dispatchBatch();
    const delivered = await this.worker.deliverBatch();
    return dispatched + delivered;
  }

  private async run(loop: number): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let worked = 0;
      try {
        worked = await this.runOnce();
        failures = 0;
      } catch (error) {
        // Typically the database being unavailable: back off, keep the loop alive.
        failures++;
        this.logger.error({ err: error, loop }, 'webhook delivery round failed');
      }
      if (worked === 0 && !this.stopping) await this.sleep(this.config.webhookPollIntervalMs * Math.min(2 ** failures, 40));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
