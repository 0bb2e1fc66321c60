import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { requestFacts } from '../../platform/audit/audit-draft';
import { Audited } from '../../platform/audit/audited.decorator';
import { Public } from '../../platform/auth/public.decorator';
import { AuthThrottle } from '../../platform/throttling/throttle.decorators';
import { CredentialLeaksService } from './credential-leaks.service';
import type { LeakFeedback } from './leak-report';

class LeakedTokenView {
  @ApiProperty({ example: 'mpk_live_…' }) token: string;
  @ApiProperty({ example: 'musicpub_api_key' }) type: string;
  @ApiProperty({ example: 'https://github.com/octo/repo/blob/abc/config.js' }) url: string;
  @ApiProperty({ example: 'content' }) source: string;
}

class LeakFeedbackView {
  @ApiProperty({ description: 'SHA-256 of the token, hex.' }) token_hash: string;
  @ApiProperty() token_type: string;
  @ApiProperty({ enum: ['true_positive', 'false_positive'] }) label: string;
}

@ApiTags('credential-leaks')
@Controller('v1/credential-leaks')
export class CredentialLeaksController {
  constructor(private readonly leaks: CredentialLeaksService) {}

  /**
   * @Public: the reporter holds no API key; its ECDSA signature over the raw
   * body is the authentication, checked in the service before the body is
   * looked at (so the body is not bound to a DTO). Throttled per address on
   * the `auth` budget, like every other credential check.
   */
  @Post()
  @Public()
  @AuthThrottle()
  @Audited({ action: 'credential_leak.report', resourceType: 'api_key' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Secret scanning partner endpoint (GitHub-compatible): reported live keys are revoked at once.' })
  @ApiHeader({ name: 'GITHUB-PUBLIC-KEY-IDENTIFIER', required: true, description: 'Which configured public key signed the report.' })
  @ApiHeader({ name: 'GITHUB-PUBLIC-KEY-SIGNATURE', required: true, description: 'Base64 DER ECDSA P-256/SHA-256 signature of the raw body.' })
  @ApiBody({ type: [LeakedTokenView] })
  @ApiOkResponse({ type: [LeakFeedbackView], description: 'true_positive: a key this API issued (revoked now if it still worked); false_positive: anything else.' })
  @ApiUnauthorizedResponse({ description: 'Unsigned, badly signed, or signed with an unknown key: nothing is revoked.' })
  @ApiBadRequestResponse({ description: 'A signed report that is not an array of { token, type, url, source }.' })
  receive(@Req() req: RawBodyRequest<Request>): Promise<LeakFeedback[]> {
    return this.leaks.receive(
      { keyIdentifier: header(req, 'github-public-key-identifier'), signature: header(req, 'github-public-key-signature') },
      req.rawBody,
      req.body,
      requestFacts(req),
    );
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
