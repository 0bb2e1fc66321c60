import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../platform/crypto/secret-box';
import { Db } from '../../platform/database/db';
import { BadRequest, NotFound } from '../../platform/errors/domain-errors';
import { newId } from '../../platform/ids';
import { generateWebhookSecret } from '../webhooks/standard-webhooks';
import { PartnersRepository } from './partners.repository';

export const PARTNER_NAME_MAX = 200;

/** The SecretBox context of a partner's secret: binds the ciphertext to that partner. */
export function partnerSecretContext(partnerId: string): string {
  return `partner-secret:${partnerId}`;
}

/** Partners are created by operators (CLI `partner:create`), never over HTTP (API.md §6). */
@Injectable()
export class PartnersService {
  constructor(
    private readonly db: Db,
    private readonly partners: PartnersRepository,
    private readonly box: SecretBox,
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
}
