import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { Db } from '../database/db';
import { newId } from '../ids';
import type { EventType } from './event-types';

/**
 * Transactional outbox (API guide: Webhooks): a service records the event inside the
 * same transaction as the change that caused it, so a committed change always has
 * its event and a rolled-back one never does. Delivery reads the table later.
 */
@Injectable()
export class OutboxWriter {
  constructor(private readonly db: Db) {}

  /**
   * One plain INSERT: Prisma's `create` would compile the query and read the
   * row back (`RETURNING`) for nothing, on every mutating request.
   * `occurred_at` is the column's default, the transaction's start.
   */
  async record(orgId: string, type: EventType, data: Prisma.InputJsonObject): Promise<string> {
    const id = newId('evt');
    await this.db.tx.$executeRaw`INSERT INTO outbox_events (id, org_id, type, data) VALUES (${id}, ${orgId}, ${type}, ${JSON.stringify(data)}::jsonb)`;
    return id;
  }
}
