import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditEvent } from '../../generated/prisma/client';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { PrismaService } from '../../platform/database/prisma.service';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditEventPageView, AuditEventView, ChainVerificationView, CheckpointView, presentAuditEvent } from './audit-event.presenter';
import { AuditEventQuery } from './dto/audit-event-query.dto';
import { VerifyQuery } from './dto/verify-query.dto';

@ApiTags('audit')
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly trail: AuditTrail,
    private readonly checkpoints: AuditCheckpoints,
  ) {}

  @Get()
  @Scopes('audit:read')
  @ApiOperation({ summary: 'The organization’s audit trail, newest first, with filters.' })
  @ApiOkResponse({ type: AuditEventPageView })
  async list(@Principal() principal: AuthPrincipal, @Query() q: AuditEventQuery): Promise<Page<AuditEventView>> {
    const after = decodeCursor(q.cursor);
    const rows: AuditEvent[] = await this.prisma.auditEvent.findMany({
      where: {
        orgId: principal.orgId,
        ...(after ? { id: { lt: after } } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.actorId ? { actorId: q.actorId } : {}),
        ...(q.resourceId ? { resourceId: q.resourceId } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.from || q.to
          ? { occurredAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } }
          : {}),
      },
      orderBy: { id: 'desc' },
      take: q.limit + 1,
    });
    return toPage(rows, q.limit, presentAuditEvent);
  }

  @Get('verify')
  @Scopes('audit:read')
  @ApiOperation({ summary: 'Recompute the organization’s keyed hash chain, optionally against a checkpoint kept earlier.' })
  @ApiOkResponse({ type: ChainVerificationView })
  @ApiBadRequestResponse({ description: 'The checkpoint is not one this server signed for the organization (problem+json, validation-error).' })
  async verify(@Principal() principal: AuthPrincipal, @Query() q: VerifyQuery): Promise<ChainVerificationView> {
    const against = q.checkpoint === undefined ? undefined : this.checkpoints.open(q.checkpoint, principal.orgId);
    const { head, checkpoint: comparison, ...result } = await this.trail.verify(principal.orgId, against);
    return {
      ...result,
      ...(comparison ? { checkpointComparison: comparison } : {}),
      ...(result.ok ? { checkpoint: this.checkpoints.sign(principal.orgId, head) } : {}),
    };
  }

  @Get('checkpoint')
  @Scopes('audit:read')
  @ApiOperation({ summary: 'A signed checkpoint of the chain’s newest event, to keep and compare later (verify ?checkpoint=).' })
  @ApiOkResponse({ type: CheckpointView })
  @ApiConflictResponse({ description: 'The newest event does not verify (problem+json, audit-chain-broken); no checkpoint is issued.' })
  checkpoint(@Principal() principal: AuthPrincipal): Promise<CheckpointView> {
    return this.checkpoints.issue(principal.orgId);
  }
}
