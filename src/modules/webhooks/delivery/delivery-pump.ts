import { Logger } from '@nestjs/common';
import type { DeliveryWorker } from './delivery-worker';

/** Deliveries one loop keeps in flight (claimed and not yet recorded). */
export const DELIVERY_CONCURRENCY = 64;
/**
 * Claim again once this many slots are free: a claim is a statement and a
 * commit of its own, worth making for a group of messages, not for each
 * delivery that finishes.
 */
export const CLAIM_AT_LEAST = 16;

export interface PumpControl {
  readonly stopping: boolean;
  /** Waits up to `ms`; returns early when new messages were fanned out in this process, when `until` settles, or on shutdown. */
  idle(ms: number, until?: Promise<unknown>): Promise<void>;
}

/**
 * One delivery loop: keeps up to DELIVERY_CONCURRENCY deliveries in flight,
 * claiming more as slots free up instead of waiting for a whole batch (and
 * its slowest receiver) to finish. A message is claimed only when a slot is
 * free for it, so its request starts right away and its lease (request
 * deadline + margin) covers its send and its record. A slot stays taken until
 * the outcome is recorded, which bounds memory and the attempts at risk if the
 * database slows down. On shutdown no new claim starts and `run` resolves once
 * every attempt in flight is sent and recorded.
 */
export class DeliveryPump {
  private readonly logger = new Logger('WebhookWorkers');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly worker: DeliveryWorker,
    private readonly control: PumpControl,
    private readonly pollIntervalMs: number,
    private readonly loop: number,
  ) {}

  async run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.control.stopping) {
        const free = DELIVERY_CONCURRENCY - this.inFlight.size;
        if (free < CLAIM_AT_LEAST) {
          await Promise.race(this.inFlight);
          continue;
        }
        let claimed;
        try {
          claimed = await this.worker.claim(free);
          failures = 0;
        } catch (error) {
          // Typically the database being unavailable: back off, keep the loop alive.
          failures++;
          this.logger.error({ err: error, loop: this.loop }, 'claiming webhook messages failed');
          await this.control.idle(this.pollIntervalMs * Math.min(2 ** failures, 40));
          continue;
        }
        for (const message of claimed) this.track(this.worker.deliver(message));
        // Fewer than asked for: nothing else is due now, or the fairness caps
        // (per endpoint, per organization) hold the rest back until some of
        // what is in flight finishes. So the wait ends at the next finished
        // delivery too: with the poll interval alone, one busy endpoint got
        // its cap's worth of messages per interval (16 per 250 ms) however
        // fast its receiver answered.
        if (claimed.length < free) await this.control.idle(this.pollIntervalMs, this.inFlight.size > 0 ? Promise.race(this.inFlight) : undefined);
      }
    } finally {
      await Promise.all(this.inFlight);
    }
  }

  private track(delivery: Promise<void>): void {
    const tracked = delivery
      .catch((error: unknown) => this.logger.error({ err: error, loop: this.loop }, 'webhook delivery failed unexpectedly'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
