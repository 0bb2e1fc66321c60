import { Injectable } from '@nestjs/common';
import type { Prisma, WebhookAttempt, WebhookEndpoint, WebhookMessage } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';

export type EndpointChanges = Pick<
  Prisma.WebhookEndpointUncheckedUpdateInput,
  'url' | 'events' | 'description' | 'enabled' | 'disabledReason' | 'failingSince' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretExpiresAt'
>;

export type MessageWithAttempts = WebhookMessage & { attempts: WebhookAttempt[] };

const WITH_ATTEMPTS = { attempts: { orderBy: { attemptNumber: 'asc' } } } as const satisfies Prisma.WebhookMessageInclude;

/**
 * Table access for endpoint management and the delivery log. Every method
 * takes the caller's org id and puts it in the WHERE clause. (The workers'
 * cross-organization queries live in delivery/delivery.repository.ts.)
 */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly db: Db) {}

  create(data: Prisma.WebhookEndpointUncheckedCreateInput): Promise<WebhookEndpoint> {
    return this.db.tx.webhookEndpoint.create({ data });
  }

  findPageForOrg(orgId: string, limit: number, afterId?: string): Promise<WebhookEndpoint[]> {
    return this.db.tx.webhookEndpoint.findMany({
      where: { orgId, ...(afterId ? { id: { lt: afterId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  findOneForOrg(orgId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.db.tx.webhookEndpoint.findFirst({ where: { id, orgId } });
  }

  /** Locks the endpoint row for the rest of `tx` (changes and rotations serialise on it). */
  async lockForOrg(orgId: string, id: string): Promise<WebhookEndpoint | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM webhook_endpoints WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows.length ? this.db.tx.webhookEndpoint.findFirst({ where: { id, orgId } }) : null;
  }

  update(orgId: string, id: string, data: EndpointChanges): Promise<WebhookEndpoint> {
    return this.db.tx.webhookEndpoint.update({ where: { id, orgId }, data });
  }

  async deleteForOrg(orgId: string, id: string): Promise<boolean> {
    const { count } = await this.db.tx.webhookEndpoint.deleteMany({ where: { id, orgId } });
    return count === 1;
  }

  findMessagePageForEndpoint(
    orgId: string,
    endpointId: string,
    page: { limit: number; afterId?: string; status?: string },
  ): Promise<MessageWithAttempts[]> {
    return this.db.tx.webhookMessage.findMany({
      where: { orgId, endpointId, ...(page.status ? { status: page.status } : {}), ...(page.afterId ? { id: { lt: page.afterId } } : {}) },
      include: WITH_ATTEMPTS,
      orderBy: { id: 'desc' },
      take: page.limit + 1,
    });
  }

  /** The message and whether its endpoint is enabled, locked for the rest of `tx`. */
  async lockMessageForOrg(orgId: string, id: string): Promise<(WebhookMessage & { endpoint: WebhookEndpoint }) | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM webhook_messages WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows.length ? this.db.tx.webhookMessage.findFirst({ where: { id, orgId }, include: { endpoint: true } }) : null;
  }

  /** Makes the message due now; the next attempt continues its attempt count (and keeps its webhook-id). */
  async scheduleNow(orgId: string, id: string): Promise<void> {
    await this.db.tx.$executeRaw`
      UPDATE webhook_messages SET status = 'pending', next_attempt_at = now(), locked_until = NULL
      WHERE id = ${id} AND org_id = ${orgId}`;
  }
}
