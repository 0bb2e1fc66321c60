import { Injectable } from '@nestjs/common';
import type { Partner } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';

/**
 * Table access for partners and their processed callbacks. `findForCallback`
 * cannot take an org id — the partner is how the org is found, as an API key
 * is — and is named for that one purpose.
 */
@Injectable()
export class PartnersRepository {
  constructor(private readonly db: Db) {}

  async organizationExists(orgId: string): Promise<boolean> {
    return (await this.db.tx.organization.count({ where: { id: orgId } })) === 1;
  }

  create(row: { id: string; orgId: string; name: string; secretSealed: string }): Promise<Partner> {
    return this.db.tx.partner.create({ data: row });
  }

  /** Callback authentication only: the partner a callback names, in any org. */
  findForCallback(id: string): Promise<Partner | null> {
    return this.db.tx.partner.findUnique({ where: { id } });
  }

  async lockForRotation(id: string): Promise<Partner | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM partners WHERE id = ${id} FOR UPDATE`;
    return rows.length ? this.db.tx.partner.findUnique({ where: { id } }) : null;
  }

  replaceSecret(id: string, data: { secretSealed: string; previousSecretSealed: string | null; previousSecretExpiresAt: Date | null }): Promise<Partner> {
    return this.db.tx.partner.update({ where: { id }, data });
  }

  /**
   * Claims a callback's webhook-id for processing in `tx`: true the first
   * time; false when it was already processed (a replay). A concurrent
   * duplicate waits on the primary key until the first commits or rolls back,
   * so exactly one of them proceeds.
   */
  async claimCallback(row: { partnerId: string; webhookId: string; eventType: string; releaseId: string }): Promise<boolean> {
    const inserted = await this.db.tx.$executeRaw`
      INSERT INTO partner_callbacks (partner_id, webhook_id, event_type, release_id)
      VALUES (${row.partnerId}, ${row.webhookId}, ${row.eventType}, ${row.releaseId})
      ON CONFLICT (partner_id, webhook_id) DO NOTHING`;
    return inserted === 1;
  }
}
