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

export class CheckpointView {
  @ApiProperty() orgId: string;
  @ApiProperty({ description: 'Position of the newest event covered (decimal string).', example: '42' }) seq: string;
  @ApiProperty({ description: 'That event’s hash.' }) hash: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({
    description: 'Compact JWS (ES256, typ audit-checkpoint+jwt) over orgId, seq, hash, issuedAt and iss, verifiable with GET /.well-known/jwks.json. Keep it, and pass it to verify later as ?checkpoint=.',
  })
  signature: string;
}

export class ChainVerificationView {
  @ApiProperty({ description: 'The chain verifies and, when a checkpoint was given, still holds it.' }) ok: boolean;
  @ApiProperty() checked: number;
  @ApiPropertyOptional({ description: 'The first event whose hash or link does not verify.' }) firstBrokenId?: string;
  @ApiPropertyOptional({
    enum: ['match', 'truncated', 'different', 'unreached'],
    description:
      'With ?checkpoint=: match; truncated (the chain now ends before it: newest events deleted); different (another event stands at its seq: rewritten); unreached (the chain breaks before it).',
  })
  checkpointComparison?: 'match' | 'truncated' | 'different' | 'unreached';
  @ApiPropertyOptional({ type: CheckpointView, description: 'A signed checkpoint of the verified head (when ok).' })
  checkpoint?: CheckpointView;
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
