import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../platform/crypto/secret-box';
import { Db } from '../../platform/database/db';
import { BadRequest, NotFound } from '../../platform/errors/domain-errors';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { newId } from '../../platform/ids';
import { generateWebhookSecret } from '../webhooks/standard-webhooks';
import { PartnersRepository } from './partners.repository';

export const PARTNER_NAME_MAX = 200;
export const DEFAULT_PARTNER_SECRET_GRACE_SECONDS = 86_400;
export const MAX_PARTNER_SECRET_GRACE_SECONDS = 30 * 86_400;

/** The SecretBox context of a partner's secret: binds the ciphertext to that partner. */
export function partnerSecretContext(partnerId: string): string {
  return `partner-secret:${partnerId}`;
}

/** Partners are created by operators (CLI `partner:create`), never over HTTP (API guide: Partner callbacks). */
@Injectable()
export class PartnersService {
  constructor(
    private readonly db: Db,
    private readonly partners: PartnersRepository,
    private readonly box: SecretBox,
    private readonly trail: AuditTrail,
  ) {}

  /** A new partner of `orgId` and its shared secret, which exists in clear only in this return value. */
  async create(orgId: string, name: string): Promise<{ partnerId: string; secret: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > PARTNER_NAME_MAX) throw new BadRequest(`The partner name must be 1–${PARTNER_NAME_MAX} characters.`);
    if (!(await this.partners.organizationExists(orgId))) throw new NotFound('organization');
    const id = newId('ptn');
    const secret = generateWebhookSecret();
    await this.db.withTransaction(() => this.partners.create({ id, orgId, name: trimmed, secretSealed: this.box.seal(secret, partnerSecretContext(id)) }));
    return { partnerId: id, secret };
  }

  /**
   * A new shared secret for a partner (CLI `partner:rotate-secret`). The old
   * one keeps verifying callbacks for `graceSeconds`, so the partner can
   * switch without a window of refused callbacks; 0 drops it at once. A secret
   * older than the current one (from an earlier rotation) stops at once: only
   * the newest two ever verify. Audited in the partner's organization.
   */
  async rotateSecret(partnerId: string, graceSeconds = DEFAULT_PARTNER_SECRET_GRACE_SECONDS): Promise<{ partnerId: string; secret: string; previousSecretExpiresAt: string | null }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_PARTNER_SECRET_GRACE_SECONDS) {
      throw new BadRequest(`The grace period must be a whole number of seconds from 0 to ${MAX_PARTNER_SECRET_GRACE_SECONDS}.`);
    }
    const secret = generateWebhookSecret();
    const previousExpiresAt = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
    await this.db.withTransaction(async () => {
      const partner = await this.partners.lockForRotation(partnerId);
      if (!partner) throw new NotFound('partner');
      await this.partners.replaceSecret(partner.id, {
        secretSealed: this.box.seal(secret, partnerSecretContext(partner.id)),
        // The same context seals both, so the sealed current secret becomes the previous one as it is.
        previousSecretSealed: previousExpiresAt ? partner.secretSealed : null,
        previousSecretExpiresAt: previousExpiresAt,
      });
      await this.trail.append({
        orgId: partner.orgId,
        actorType: 'system',
        actorId: 'cli',
        action: 'partner.rotate_secret',
        resourceType: 'partner',
        resourceId: partner.id,
        outcome: 'success',
        statusCode: 200,
        ip: null,
        userAgent: null,
        requestId: null,
        changes: { gracePeriodSeconds: graceSeconds, previousSecretExpiresAt: previousExpiresAt?.toISOString() ?? null },
      });
    });
    return { partnerId, secret, previousSecretExpiresAt: previousExpiresAt?.toISOString() ?? null };
  }
}
