import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import type { Tx } from '../database/prisma.service';
import { newId } from '../ids';
import type { EventType } from './event-types';

/**
 * Transactional outbox (API.md §5): a service records the event through the
 * same `tx` as the change that caused it, so a committed change always has
 * its event and a rolled-back one never does. Delivery reads the table later.
 */
@Injectable()
export class OutboxWriter {
  async record(tx: Tx, orgId: string, type: EventType, data: Prisma.InputJsonObject): Promise<string> {
    const id = newId('evt');
    await tx.outboxEvent.create({ data: { id, orgId, type, data } });
    return id;
  }
}
