import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditEvent } from '../../generated/prisma/client';

class ActorView {
  @ApiProperty({ enum: ['api_key', 'token', 'partner', 'system', 'anonymous'] }) type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

class ResourceView {
  @ApiProperty({ nullable: true, type: String }) type: string | null;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

export class AuditEventView {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty() orgId: string;
  @ApiProperty({ type: ActorView }) actor: ActorView;
  @ApiProperty() action: string;
  @ApiProperty({ type: ResourceView }) resource: ResourceView;
  @ApiProperty({ enum: ['success', 'denied', 'error'] }) outcome: string;
  @ApiProperty() statusCode: number;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true }) changes: unknown;
  @ApiProperty({ description: 'Position in the organization’s hash chain.' }) seq: string;
  @ApiProperty() hash: string;
}

export class AuditEventPageView {
  @ApiProperty({ type: [AuditEventView] }) data: AuditEventView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ChainVerificationView {
  @ApiProperty() ok: boolean;
  @ApiProperty() checked: number;
  @ApiPropertyOptional() firstBrokenId?: string;
}

export function presentAuditEvent(row: AuditEvent): AuditEventView {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    orgId: row.orgId ?? '',
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId },
    outcome: row.outcome,
    statusCode: row.statusCode,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    changes: row.changes ?? null,
    seq: row.seq.toString(),
    hash: row.hash,
  };
}
