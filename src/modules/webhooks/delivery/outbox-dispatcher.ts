import { Injectable } from '@nestjs/common';
import { Db } from '../../../platform/database/db';
import { newId } from '../../../platform/ids';
import { DeliveryRepository, NewMessage } from './delivery.repository';
import { deliveryBody, endpointsForEvent } from './event-routing';

/** Events per fan-out transaction: large enough to keep up, small enough to keep the locks short. */
export const FAN_OUT_BATCH = 200;

/**
 * Fan-out: turns committed outbox events into one message per subscribed,
 * enabled endpoint and marks the events dispatched, in one transaction. If
 * the process dies midway nothing is half-done: the events stay undispatched
 * and the next dispatcher takes them (and the unique (endpoint, event) key
 * makes a repeat harmless). Several dispatchers share the work through
 * FOR UPDATE SKIP LOCKED.
 */
@Injectable()
export class OutboxDispatcher {
  constructor(
    private readonly db: Db,
    private readonly repository: DeliveryRepository,
  ) {}

  /** Dispatches one batch; returns how many events it took (0 = nothing waiting). */
  dispatchBatch(limit = FAN_OUT_BATCH): Promise<number> {
    return this.db.withTransaction(async () => {
      const events = await this.repository.claimUndispatchedEvents(limit);
      if (events.length === 0) return 0;
      const endpoints = await this.repository.enabledEndpointsOf([...new Set(events.map((e) => e.orgId))]);
      const messages: NewMessage[] = [];
      for (const event of events) {
        const body = deliveryBody(event);
        for (const endpoint of endpointsForEvent(event, endpoints)) {
          messages.push({ id: newId('msg'), orgId: event.orgId, endpointId: endpoint.id, eventId: event.id, eventType: event.type, body });
        }
      }
      await this.repository.insertMessages(messages);
      await this.repository.markDispatched(events.map((e) => e.id));
      return events.length;
    });
  }
}
