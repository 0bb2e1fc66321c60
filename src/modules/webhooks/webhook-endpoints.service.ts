import { Injectable } from '@nestjs/common';
import type { WebhookEndpoint } from '../../generated/prisma/client';
import { AppConfig } from '../../config/app-config';
import { SecretBox } from '../../platform/crypto/secret-box';
import { Db } from '../../platform/database/db';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { BadRequest, Conflict, NotFound } from '../../platform/errors/domain-errors';
import { looksLikeId, newId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { RequestTransaction } from '../../platform/request-transaction/request-transaction';
import { ALL_EVENTS } from './delivery/event-routing';
import { TargetRefused, WebhookTargetResolver } from './delivery/webhook-target-resolver';
import type { CreateWebhookEndpointDto, ListDeliveriesQuery, UpdateWebhookEndpointDto } from './dto/webhook-endpoint.dto';
import { endpointSecretContext } from './endpoint-secrets';
import { generateWebhookSecret } from './standard-webhooks';
import {
  CreatedWebhookEndpointView,
  presentEndpoint,
  presentMessage,
  RotatedSecretView,
  WebhookEndpointView,
  WebhookMessageView,
} from './webhook-endpoint.presenter';
import { EndpointChanges, WebhookEndpointsRepository } from './webhook-endpoints.repository';

export const DEFAULT_SECRET_GRACE_SECONDS = 86_400;

/**
 * Endpoint management (API guide: Webhooks). URLs pass the SSRF check, DNS included,
 * before anything is written; the delivery worker checks again before every
 * attempt, because what a name resolves to can change after creation. (The
 * request-wide transaction is already open during that lookup, so it is
 * capped at 5 s rather than the full WEBHOOK_TIMEOUT_MS.)
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly outbox: OutboxWriter,
    private readonly box: SecretBox,
    private readonly targets: WebhookTargetResolver,
    private readonly requests: RequestTransaction,
  ) {}

  async create(orgId: string, dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    assertEventList(dto.events);
    const url = await this.checkedUrl(dto.url);
    const id = newId('we');
    const secret = generateWebhookSecret();
    // The URL was resolved above, before the request's transaction opens here.
    const row = await this.requests.commit(() =>
      this.endpoints.create({
        id,
        orgId,
        url,
        events: dto.events,
        description: dto.description ?? null,
        secretSealed: this.box.seal(secret, endpointSecretContext(id)),
      }),
    );
    return { ...presentEndpoint(row), secret };
  }

  async list(orgId: string, limit: number, cursor?: string): Promise<Page<WebhookEndpointView>> {
    const rows = await this.endpoints.findPageForOrg(orgId, limit, decodeCursor(cursor));
    return toPage(rows, limit, (row) => presentEndpoint(row));
  }

  async get(orgId: string, id: string): Promise<WebhookEndpointView> {
    return presentEndpoint(await this.findOrThrow(orgId, id));
  }

  async update(orgId: string, id: string, dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    await this.findOrThrow(orgId, id);
    const changes: EndpointChanges = {};
    if (dto.events !== undefined) {
      assertEventList(dto.events);
      changes.events = dto.events;
    }
    if (dto.url !== undefined) changes.url = await this.checkedUrl(dto.url);
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.enabled !== undefined) {
      changes.enabled = dto.enabled;
      // Re-enabling starts afresh: the 5-day failure clock and an automatic
      // reason no longer apply. Disabling by hand carries no reason.
      changes.disabledReason = null;
      if (dto.enabled) changes.failingSince = null;
    }
    const row = await this.requests.commit(async () => {
      const current = await this.endpoints.lockForOrg(orgId, id);
      if (!current) throw new NotFound('webhook endpoint');
      if (Object.keys(changes).length === 0) return current;
      // Only an actual change of `enabled` resets the automatic state.
      if (dto.enabled !== undefined && dto.enabled === current.enabled) {
        delete changes.enabled;
        delete changes.disabledReason;
        delete changes.failingSince;
      }
      return this.endpoints.update(orgId, id, changes);
    });
    return presentEndpoint(row);
  }

  async delete(orgId: string, id: string): Promise<void> {
    // Messages and attempts go with it (ON DELETE CASCADE); an attempt in
    // flight finds no message when it reports back and is dropped.
    if (!looksLikeId('we', id) || !(await this.endpoints.deleteForOrg(orgId, id))) throw new NotFound('webhook endpoint');
  }

  /**
   * A new secret; the old one keeps signing alongside it for the grace period
   * (Standard Webhooks "Signature scheme": several space-separated signatures),
   * so receivers can switch without missing a delivery. Rotating again during
   * a grace period drops the oldest secret.
   */
  async rotateSecret(orgId: string, id: string, graceSeconds = DEFAULT_SECRET_GRACE_SECONDS): Promise<RotatedSecretView> {
    const secret = generateWebhookSecret();
    const expiresAt = new Date(Date.now() + graceSeconds * 1000);
    await this.db.withTransaction(async () => {
      const current = await this.endpoints.lockForOrg(orgId, id);
      if (!current) throw new NotFound('webhook endpoint');
      await this.endpoints.update(orgId, id, {
        secretSealed: this.box.seal(secret, endpointSecretContext(id)),
        previousSecretSealed: graceSeconds > 0 ? current.secretSealed : null,
        previousSecretExpiresAt: graceSeconds > 0 ? expiresAt : null,
      });
    });
    return { secret, previousSecretExpiresAt: expiresAt.toISOString() };
  }

  /** Queues a `webhook.test` event for this endpoint only (the dispatcher routes it by `data.endpointId`). */
  async sendTest(orgId: string, id: string): Promise<{ eventId: string }> {
    return this.db.withTransaction(async () => {
      const endpoint = await this.endpoints.lockForOrg(orgId, id);
      if (!endpoint) throw new NotFound('webhook endpoint');
      assertEnabled(endpoint);
      const eventId = await this.outbox.record(orgId, 'webhook.test', {
        endpointId: id,
        message: 'A test event from musicpub: your endpoint receives and verifies deliveries.',
      });
      return { eventId };
    });
  }

  async listDeliveries(orgId: string, endpointId: string, query: ListDeliveriesQuery): Promise<Page<WebhookMessageView>> {
    const afterId = decodeCursor(query.cursor);
    await this.findOrThrow(orgId, endpointId);
    const rows = await this.endpoints.findMessagePageForEndpoint(orgId, endpointId, { limit: query.limit, afterId, status: query.status });
    return toPage(rows, query.limit, presentMessage);
  }

  /** A new attempt now, with the same webhook-id (receivers deduplicate on it). */
  async redeliver(orgId: string, messageId: string): Promise<{ id: string; status: 'pending' }> {
    await this.db.withTransaction(async () => {
      const message = looksLikeId('msg', messageId) ? await this.endpoints.lockMessageForOrg(orgId, messageId) : null;
      if (!message) throw new NotFound('webhook message');
      if (message.status === 'delivering') throw new Conflict('An attempt of this message is in progress; wait for its outcome before redelivering.');
      assertEnabled(message.endpoint);
      await this.endpoints.scheduleNow(orgId, messageId);
    });
    return { id: messageId, status: 'pending' };
  }

  private async findOrThrow(orgId: string, id: string): Promise<WebhookEndpoint> {
    const row = looksLikeId('we', id) ? await this.endpoints.findOneForOrg(orgId, id) : null;
    if (!row) throw new NotFound('webhook endpoint');
    return row;
  }

  /** The normalised URL, or 400 naming why it is refused (scheme, syntax, or where it resolves). */
  private async checkedUrl(raw: string): Promise<string> {
    try {
      const target = await this.targets.resolve(raw, Math.min(this.config.webhookTimeoutMs, 5000));
      return target.url.href;
    } catch (error) {
      if (!(error instanceof TargetRefused)) throw error;
      throw new BadRequest('The webhook URL is not allowed.', [{ field: 'url', message: `url ${error.reason}` }]);
    }
  }
}

/** "*" means every event, so it stands alone. */
function assertEventList(events: readonly string[]): void {
  if (events.includes(ALL_EVENTS) && events.length > 1) {
    throw new BadRequest('The request is invalid.', [{ field: 'events', message: 'events must be ["*"] alone or a list of event types' }]);
  }
}

function assertEnabled(endpoint: WebhookEndpoint): void {
  if (!endpoint.enabled) {
    throw new Conflict('The webhook endpoint is disabled; enable it (PATCH {"enabled": true}) before sending to it.', {
      extensions: { disabledReason: endpoint.disabledReason },
    });
  }
}
