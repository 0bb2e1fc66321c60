import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../platform/crypto/secret-box';
import { Db } from '../../platform/database/db';
import { BadRequest, DomainError, problemType } from '../../platform/errors/domain-errors';
import { createValidationPipe } from '../../platform/http/validation';
import { looksLikeId } from '../../platform/ids';
import { ReleasesService } from '../releases/releases.service';
import { SECRET_PREFIX, StandardWebhookHeaders, verifyStandardWebhook } from '../webhooks/standard-webhooks';
import { PARTNER_CALLBACK_TARGETS, PartnerCallbackDto } from './dto/partner-callback.dto';
import { PartnersRepository } from './partners.repository';
import { partnerSecretContext } from './partners.service';

/** The partner a callback names, as far as the callback flow tells its caller. */
export interface CallbackSender {
  partnerId: string;
  orgId: string;
}

export type CallbackOutcome =
  | { received: true; duplicate: false; releaseId: string; status: string }
  | { received: true; duplicate: true };

/** 401 for every authentication failure of a callback; `reason` says which check failed, never whether the partner exists. */
export class CallbackUnauthenticated extends DomainError {
  constructor(reason: string) {
    super(401, 'The callback is not signed by this partner (Standard Webhooks: webhook-id, webhook-timestamp within ±5 min, webhook-signature).', {
      type: problemType('invalid-signature'),
      extensions: { reason },
    });
  }
}

const MAX_WEBHOOK_ID = 255;

/**
 * Inbound partner callbacks (API guide: Partner callbacks), in this order:
 * 1. authenticate — the partner's secret (or, during a rotation's grace
 *    period, its previous one) verifies the Standard Webhooks
 *    signature over the raw body, timestamp within ±5 minutes, constant-time
 *    compare. An unknown partner fails exactly like a bad signature (same
 *    status, same reason, a dummy secret so the work done is alike), so the
 *    route does not reveal which partner ids exist;
 * 2. validate the body (400) — only for authenticated senders;
 * 3. in one transaction: claim the webhook-id (a replay is 200 and changes
 *    nothing), transition the release (404 unknown, 409 illegal), record the
 *    outbound `release.status_changed`. A failure rolls all three back, so
 *    the partner may retry the same webhook-id.
 */
@Injectable()
export class PartnerCallbacksService {
  private readonly dummySecret = SECRET_PREFIX + randomBytes(32).toString('base64');

  constructor(
    private readonly db: Db,
    private readonly partners: PartnersRepository,
    private readonly box: SecretBox,
    private readonly releases: ReleasesService,
  ) {}

  /**
   * `identified` learns the named partner when it exists, before the
   * signature is checked, so that the request — a refusal as much as a
   * success — is audited in that partner's organization (its owners see
   * forgeries too). It changes nothing in the answer, which therefore still
   * does not tell whether the partner exists.
   */
  async receive(
    partnerId: string,
    headers: StandardWebhookHeaders,
    rawBody: Buffer | undefined,
    body: unknown,
    identified: (sender: CallbackSender) => void = () => undefined,
  ): Promise<CallbackOutcome> {
    const partner = looksLikeId('ptn', partnerId) ? await this.partners.findForCallback(partnerId) : null;
    if (partner) identified({ partnerId: partner.id, orgId: partner.orgId });
    const secret = partner ? this.box.open(partner.secretSealed, partnerSecretContext(partner.id)) : this.dummySecret;
    const text = rawBody?.toString('utf8') ?? '';
    const now = Math.floor(Date.now() / 1000);
    let verified = verifyStandardWebhook(secret, headers, text, now);
    // During a secret rotation's grace period the previous secret verifies too.
    if (!verified.ok && verified.reason === 'no_matching_signature' && partner?.previousSecretSealed && partner.previousSecretExpiresAt && partner.previousSecretExpiresAt > new Date()) {
      verified = verifyStandardWebhook(this.box.open(partner.previousSecretSealed, partnerSecretContext(partner.id)), headers, text, now);
    }
    if (!verified.ok) throw new CallbackUnauthenticated(verified.reason);
    if (!partner) throw new CallbackUnauthenticated('no_matching_signature');
    if (verified.id.length > MAX_WEBHOOK_ID) {
      throw new BadRequest('The webhook-id header is too long.', [{ field: 'webhook-id', message: `webhook-id must be at most ${MAX_WEBHOOK_ID} characters` }]);
    }

    const callback = await validCallback(body);
    return this.db.withTransaction(async (): Promise<CallbackOutcome> => {
      const fresh = await this.partners.claimCallback({
        partnerId: partner.id,
        webhookId: verified.id,
        eventType: callback.type,
        releaseId: callback.data.releaseId,
      });
      if (!fresh) return { received: true, duplicate: true };
      const release = await this.releases.applyTransition(partner.orgId, callback.data.releaseId, PARTNER_CALLBACK_TARGETS[callback.type], callback.data.reason);
      return { received: true, duplicate: false, releaseId: release.id, status: release.status };
    });
  }
}

/**
 * The callback body, checked by the same DTO validation every route's body
 * gets (platform/http/validation.ts: unknown properties refused, each failure
 * named by its field). Applied here rather than as a @Body() pipe: the route
 * takes the raw request, whose bytes the signature covers, and a body is
 * judged only once its signature holds, so a forger learns nothing of the fields.
 */
const callbackValidation = createValidationPipe();
async function validCallback(body: unknown): Promise<PartnerCallbackDto> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest('The callback body must be a JSON object { type, data: { releaseId, reason? } }.');
  }
  return (await callbackValidation.transform(body, { type: 'body', metatype: PartnerCallbackDto })) as PartnerCallbackDto;
}
