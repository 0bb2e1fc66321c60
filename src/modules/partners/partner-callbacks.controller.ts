import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { setAuditActor } from '../../platform/audit/audit-actor';
import { Audited } from '../../platform/audit/audited.decorator';
import { Public } from '../../platform/auth/public.decorator';
import { PartnerCallbackDto } from './dto/partner-callback.dto';
import { CallbackOutcome, PartnerCallbacksService } from './partner-callbacks.service';

@ApiTags('partners')
@Controller('v1/partners')
export class PartnerCallbacksController {
  constructor(private readonly callbacks: PartnerCallbacksService) {}

  /**
   * @Public: a partner holds no API key; the Standard Webhooks signature made
   * with its shared secret is the authentication, checked in the service over
   * the raw body (configure-http keeps it as req.rawBody). The body is not
   * bound to a DTO here because validation must not run — and answer 400 —
   * before the signature is checked. There is no principal, so the request
   * is audited as the partner it names (see PartnerCallbacksService.receive).
   */
  @Post(':partnerId/callbacks')
  @Public()
  @Audited({ action: 'partner.callback', resourceType: 'release' })
  @HttpCode(200)
  @ApiOperation({ summary: 'A delivery partner reports a release status (Standard Webhooks signed).' })
  @ApiHeader({ name: 'webhook-id', required: true })
  @ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds, within ±5 minutes.' })
  @ApiHeader({ name: 'webhook-signature', required: true, description: 'v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">' })
  @ApiBody({ type: PartnerCallbackDto })
  @ApiOkResponse({ description: '{ received, duplicate, releaseId?, status? }: applied, or a replay of a processed webhook-id (nothing changed).' })
  @ApiUnauthorizedResponse({ description: 'Unsigned, badly signed, stale or future timestamp, or unknown partner.' })
  @ApiBadRequestResponse({ description: 'Malformed JSON or body.' })
  @ApiNotFoundResponse({ description: 'The release does not exist in the partner\'s organization.' })
  @ApiConflictResponse({ description: 'The release cannot make this transition from its current status.' })
  receive(@Param('partnerId') partnerId: string, @Req() req: RawBodyRequest<Request>): Promise<CallbackOutcome> {
    return this.callbacks.receive(
      partnerId,
      { id: header(req, 'webhook-id'), timestamp: header(req, 'webhook-timestamp'), signature: header(req, 'webhook-signature') },
      req.rawBody,
      req.body,
      (sender) => setAuditActor(req, { orgId: sender.orgId, actorType: 'partner', actorId: sender.partnerId }),
    );
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(' ') : value;
}
