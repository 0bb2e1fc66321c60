import { Injectable } from '@nestjs/common';
import type { ApiKey, AuditEvent, Prisma } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';

export interface NewApiKeyRow {
  id: string;
  orgId: string;
  name: string;
  mode: string;
  prefix: string;
  keyHash: Uint8Array<ArrayBuffer>;
  scopes: string[];
  allowedIps: string[];
  expiresAt: Date | null;
  rotatedFromId?: string | null;
  createdById?: string | null;
  /** Signed requests (API guide: Signed requests): the algorithm and its material, sealed secret or public JWK. */
  signatureAlg?: string | null;
  signingSecretSealed?: string | null;
  signingPublicKey?: Prisma.InputJsonObject;
}

/**
 * Table access for API keys. Reads for management take the org id; the two
 * authentication lookups cannot (they are how the org is found) and are named
 * for that one purpose.
 */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  /** Authentication only: the key whose HMAC is `keyHash`, in any org. */
  findForAuthentication(keyHash: Uint8Array<ArrayBuffer>): Promise<ApiKey | null> {
    return this.db.tx.apiKey.findUnique({ where: { keyHash } });
  }

  /** Token authentication only: the key a token was issued from (its `sub`). */
  findForTokenAuthentication(id: string): Promise<ApiKey | null> {
    return this.db.tx.apiKey.findUnique({ where: { id } });
  }

  create(row: NewApiKeyRow): Promise<ApiKey> {
    return this.db.tx.apiKey.create({ data: row });
  }

  /** With `expiringBefore`: only live keys whose expiry falls between now and then. */
  findPageForOrg(orgId: string, limit: number, afterId?: string, expiringBefore?: Date): Promise<ApiKey[]> {
    return this.db.tx.apiKey.findMany({
      where: {
        orgId,
        ...(afterId ? { id: { lt: afterId } } : {}),
        ...(expiringBefore ? { revokedAt: null, expiresAt: { gt: new Date(), lte: expiringBefore } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  findOneForOrg(orgId: string, id: string): Promise<ApiKey | null> {
    return this.db.tx.apiKey.findFirst({ where: { id, orgId } });
  }

  /** Locks the key row for the rest of `tx` (rotation and revocation serialise on it). */
  async lockForOrg(orgId: string, id: string): Promise<ApiKey | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM api_keys WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows.length ? this.db.tx.apiKey.findUnique({ where: { id } }) : null;
  }

  /** Every live (unrevoked, unexpired) key of the org, locked for the rest of the transaction. */
  async lockLiveForOrg(orgId: string): Promise<ApiKey[]> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM api_keys WHERE org_id = ${orgId} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      ORDER BY id FOR UPDATE`;
    return this.db.tx.apiKey.findMany({ where: { id: { in: rows.map((r) => r.id) } }, orderBy: { id: 'asc' } });
  }

  /** One key's audit events as actor (directly or through its tokens), newest first. */
  findActivityPage(orgId: string, keyId: string, limit: number, afterId?: string): Promise<AuditEvent[]> {
    return this.db.tx.auditEvent.findMany({
      where: { orgId, actorId: keyId, actorType: { in: ['api_key', 'token'] }, ...(afterId ? { id: { lt: afterId } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  }

  /**
   * Marks up to `limit` keys as notified for `threshold` and returns them:
   * `expiring` — live keys inside their organization's notice window;
   * `expired` — keys whose expiry has passed. Rotated keys are left out (their
   * successor carries on; the expiry is the rotation's grace ending). SKIP
   * LOCKED and the marker make each notice go out once, whichever instance runs.
   */
  async claimExpiryNotices(threshold: 'expiring' | 'expired', limit: number): Promise<ApiKey[]> {
    const rows =
      threshold === 'expiring'
        ? await this.db.tx.$queryRaw<Array<{ id: string }>>`
            UPDATE api_keys AS k SET expiring_notified_at = now()
            FROM (SELECT d.id FROM api_keys AS d LEFT JOIN key_policies AS p ON p.org_id = d.org_id
                  WHERE d.revoked_at IS NULL AND d.expiring_notified_at IS NULL AND d.expires_at > now()
                    AND d.expires_at <= now() + make_interval(days => COALESCE(p.expiry_notice_days, 14))
                    AND NOT EXISTS (SELECT 1 FROM api_keys AS s WHERE s.rotated_from_id = d.id)
                  ORDER BY d.expires_at LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED) AS due
            WHERE k.id = due.id RETURNING k.id`
        : await this.db.tx.$queryRaw<Array<{ id: string }>>`
            UPDATE api_keys AS k SET expired_notified_at = now()
            FROM (SELECT d.id FROM api_keys AS d
                  WHERE d.revoked_at IS NULL AND d.expired_notified_at IS NULL AND d.expires_at <= now()
                    AND NOT EXISTS (SELECT 1 FROM api_keys AS s WHERE s.rotated_from_id = d.id)
                  ORDER BY d.expires_at LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED) AS due
            WHERE k.id = due.id RETURNING k.id`;
    if (rows.length === 0) return [];
    return this.db.tx.apiKey.findMany({ where: { id: { in: rows.map((r) => r.id) } }, orderBy: { expiresAt: 'asc' } });
  }

  hasSuccessor(id: string): Promise<boolean> {
    return this.db.tx.apiKey.count({ where: { rotatedFromId: id } }).then((n) => n > 0);
  }

  update(orgId: string, id: string, data: { expiresAt?: Date | null; revokedAt?: Date }): Promise<ApiKey> {
    return this.db.tx.apiKey.update({ where: { id, orgId }, data });
  }

  /** One statement for a batch of coalesced last-use times; never moves a time backwards. */
  async recordLastUsed(batch: Map<string, Date>): Promise<void> {
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    const times = ids.map((id) => batch.get(id)!);
    await this.db.tx.$executeRaw`
      UPDATE api_keys AS k SET last_used_at = v.used_at
      FROM (SELECT unnest(${ids}::text[]) AS id, unnest(${times}::timestamptz[]) AS used_at) AS v
      WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.used_at)`;
  }
}
