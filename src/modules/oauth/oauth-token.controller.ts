import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiUnauthorizedResponse, getSchemaPath } from '@nestjs/swagger';
import type { Request } from 'express';
import { OAUTH_TOKEN_PATH, type OAuthErrorCode } from '../../platform/auth/oauth-error';
import { PROBLEM_CONTENT_TYPE } from '../../platform/errors/domain-errors';
import { attachPrincipal } from '../../platform/auth/principal';
import { Public } from '../../platform/auth/public.decorator';
import { RequestSignatureVerifier } from '../../platform/auth/signatures/request-signature.verifier';
import { AuthThrottle } from '../../platform/throttling/throttle.decorators';
import { IssuedTokenView, OAuthTokenService } from './oauth-token.service';
import { parseTokenRequest } from './token-request';
import { clientAddressOf } from '../../platform/http/http-context';

class TokenResponse implements IssuedTokenView {
  @ApiProperty() access_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires.' }) expires_in: number;
  @ApiProperty({ description: 'Space-separated scopes the token carries.' }) scope: string;
}

class TokenRequestBody {
  @ApiProperty({ enum: ['client_credentials'] }) grant_type: string;
  @ApiProperty({ description: 'The API key id (key_…). Or send client_id:client_secret with HTTP Basic.' }) client_id: string;
  @ApiProperty({ description: 'The API key itself.' }) client_secret: string;
  @ApiProperty({ required: false, description: 'Space-separated subset of the key’s scopes.' }) scope?: string;
}

class OAuthErrorView {
  @ApiProperty({ enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'] })
  error: OAuthErrorCode;
  @ApiProperty() error_description: string;
}

const OAUTH_ERROR = { 'application/json': { schema: { $ref: getSchemaPath(OAuthErrorView) } } };

/** OAuth 2.0 client credentials (RFC 6749 §4.4): an API key exchanged for a short-lived ES256 access token (RFC 9068). */
@ApiTags('oauth')
@Controller()
export class OAuthTokenController {
  constructor(
    private readonly tokens: OAuthTokenService,
    private readonly signatures: RequestSignatureVerifier,
  ) {}

  @Post(OAUTH_TOKEN_PATH)
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Exchange an API key for an access token (client credentials).' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestBody })
  @ApiOkResponse({ type: TokenResponse })
  @ApiExtraModels(OAuthErrorView)
  @ApiBadRequestResponse({ description: 'OAuth error (RFC 6749 §5.2): invalid_request, unsupported_grant_type, invalid_scope.', content: OAUTH_ERROR })
  @ApiUnauthorizedResponse({
    description: 'invalid_client (an OAuth error, with WWW-Authenticate after HTTP Basic); a key that requires signed requests and sent a bad signature gets problem+json.',
    content: { ...OAUTH_ERROR, [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  })
  async token(@Req() req: Request): Promise<TokenResponse> {
    const request = parseTokenRequest(req.body, req.headers.authorization);
    const principal = await this.tokens.authenticateClient(request, clientAddressOf(req));
    // The route is public, but once the client is known the issuance is audited
    // as that key's, in its organization's trail.
    attachPrincipal(req, principal);
    // API guide: Signed requests: a key that requires signed requests signs its token requests
    // too (a refusal is the signature's 401 problem+json, not an OAuth error).
    if (principal.signing) await this.signatures.verify(req, { ...principal, signing: principal.signing });
    return this.tokens.issue(principal, request.scope);
  }
}
