import { ApiProperty } from '@nestjs/swagger';
import type { WebhookAttempt, WebhookEndpoint, WebhookMessage } from '../../generated/prisma/client';

/** An endpoint as clients see it (API guide: Webhooks): never the secret, sealed or not. */
export class WebhookEndpointView {
  @ApiProperty({ example: 'we_01JF3Z…' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) events: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: String, nullable: true, enum: ['gone', 'failing'], description: 'Set when delivery stopped on its own: the receiver answered 410 Gone, or every attempt failed for 5 days.' })
  disabledReason: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Until then deliveries also carry a signature made with the previous secret.' })
  previousSecretExpiresAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class CreatedWebhookEndpointView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret. Shown in this response only; store it now.' })
  secret: string;
}

export class RotatedSecretView {
  @ApiProperty({ description: 'The new signing secret, shown in this response only.' }) secret: string;
  @ApiProperty({ format: 'date-time', description: 'Until then every delivery is signed with both secrets.' }) previousSecretExpiresAt: string;
}

export class WebhookEndpointPageView {
  @ApiProperty({ type: [WebhookEndpointView] }) data: WebhookEndpointView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class WebhookAttemptView {
  @ApiProperty() attemptNumber: number;
  @ApiProperty({ format: 'date-time' }) attemptedAt: string;
  @ApiProperty({ type: Number, nullable: true }) statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ type: String, nullable: true, description: 'At most 1 KiB of the response body.' }) responseBodyExcerpt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What went wrong when no usable response came back.' }) error: string | null;
}

export class WebhookMessageView {
  @ApiProperty({ example: 'msg_01JF3Z…', description: 'The webhook-id header: the same on every attempt.' }) id: string;
  @ApiProperty() endpointId: string;
  @ApiProperty({ example: 'evt_01JF3Z…' }) eventId: string;
  @ApiProperty() eventType: string;
  @ApiProperty({ enum: ['pending', 'delivering', 'delivered', 'failed'] }) status: string;
  @ApiProperty() attemptCount: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) nextAttemptAt: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) deliveredAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: [WebhookAttemptView], description: 'Oldest first.' }) attempts: WebhookAttemptView[];
}

export class WebhookMessagePageView {
  @ApiProperty({ type: [WebhookMessageView] }) data: WebhookMessageView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export function presentEndpoint(row: WebhookEndpoint, now = new Date()): WebhookEndpointView {
  const previousLive = row.previousSecretSealed !== null && row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    previousSecretExpiresAt: previousLive ? row.previousSecretExpiresAt!.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentMessage(row: WebhookMessage & { attempts: WebhookAttempt[] }): WebhookMessageView {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    attempts: row.attempts.map((a) => ({
      attemptNumber: a.attemptNumber,
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      durationMs: a.durationMs,
      responseBodyExcerpt: a.responseBodyExcerpt,
      error: a.error,
    })),
  };
}
