import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditEvent } from '../../generated/prisma/client';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { PrismaService } from '../../platform/database/prisma.service';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { AuditEventPageView, AuditEventView, ChainVerificationView, presentAuditEvent } from './audit-event.presenter';
import { AuditEventQuery } from './dto/audit-event-query.dto';

@ApiTags('audit')
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly trail: AuditTrail,
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
  @ApiOperation({ summary: 'Verify the audit trail’s hash chain.' })
  @ApiOkResponse({ type: ChainVerificationView, description: 'Recomputes the organization’s hash chain.' })
  verify(@Principal() principal: AuthPrincipal): Promise<ChainVerificationView> {
    return this.trail.verify(principal.orgId);
  }
}
