import { Injectable, Logger } from '@nestjs/common';
import { AttemptOutcome, DeliveryRepository } from './delivery.repository';

/** Most attempts written by one statement. */
export const RECORD_BATCH = 500;

/**
 * Writes finished attempts in batches, group-commit style: while one batch is
 * being written, the attempts that finish meanwhile queue up and go together
 * in the next statement. One commit (one fsync) then covers many deliveries
 * instead of one each, and nothing waits on a timer: an attempt that finishes
 * while the recorder is idle is written at the next turn of the event loop.
 *
 * `record` resolves once the attempt is written (or could not be: then it is
 * logged, the message's lease runs out and the message is attempted again, so
 * delivery stays at-least-once). If a batch fails as a whole (say one of its
 * messages was deleted with its endpoint meanwhile, or a deadlock with an API
 * write), its attempts are written one by one, so one bad row costs only
 * itself. One batch is in flight per process, which also keeps the endpoint
 * bookkeeping of successive batches in order.
 */
@Injectable()
export class AttemptRecorder {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly queue: Array<{ outcome: AttemptOutcome; done: () => void }> = [];
  private draining = false;

  constructor(private readonly repository: DeliveryRepository) {}

  record(outcome: AttemptOutcome): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ outcome, done });
      if (!this.draining) {
        this.draining = true;
        // Let the attempts finishing in this turn of the event loop join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, RECORD_BATCH);
        await this.write(batch.map((entry) => entry.outcome));
        for (const entry of batch) entry.done();
      }
    } finally {
      this.draining = false;
    }
  }

  private async write(outcomes: AttemptOutcome[]): Promise<void> {
    try {
      await this.repository.recordAttempts(outcomes);
      return;
    } catch (error) {
      this.logger.warn({ err: error, attempts: outcomes.length }, 'could not record a batch of webhook attempts; recording them one by one');
    }
    for (const outcome of outcomes) {
      try {
        await this.repository.recordAttempt(outcome.attempt, outcome.update, outcome.disableEndpoint);
      } catch (error) {
        // The lease runs out and another attempt follows: at-least-once.
        this.logger.error({ err: error, messageId: outcome.attempt.messageId }, 'could not record a webhook attempt');
      }
    }
  }
}
