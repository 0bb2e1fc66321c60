import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../../config/app-config';
import { OAUTH_TOKEN_PATH } from '../../platform/auth/oauth-error';
import { Public } from '../../platform/auth/public.decorator';
import { SCOPES } from '../../platform/auth/scopes';
import { TokenSigner } from '../../platform/auth/token-signer';

export const JWKS_PATH = '/.well-known/jwks.json';

class JwkSetView {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, maxItems: 2, description: 'ES256 public keys (RFC 7517), each with its kid.' })
  keys: object[];
}

/** RFC 8414 §2, the fields a client-credentials-only server has. */
class AuthorizationServerMetadataView {
  @ApiProperty({ description: 'The `iss` of every access token (JWT_ISSUER).', example: 'https://api.musicpub.local' })
  issuer: string;
  @ApiProperty({ format: 'uri', example: `https://api.musicpub.local${OAUTH_TOKEN_PATH}` })
  token_endpoint: string;
  @ApiProperty({ format: 'uri', example: `https://api.musicpub.local${JWKS_PATH}` })
  jwks_uri: string;
  @ApiProperty({ type: [String], enum: ['client_credentials'], maxItems: 1 })
  grant_types_supported: string[];
  @ApiProperty({ type: [String], enum: ['client_secret_basic', 'client_secret_post'], maxItems: 2 })
  token_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String], maxItems: SCOPES.length, example: [...SCOPES] })
  scopes_supported: string[];
  @ApiProperty({ type: [String], maxItems: 0, description: 'Empty: there is no authorization endpoint (RFC 8414 requires the field).' })
  response_types_supported: string[];
}

@ApiTags('oauth')
@Controller('.well-known')
export class JwksController {
  constructor(
    private readonly signer: TokenSigner,
    private readonly config: AppConfig,
  ) {}

  @Get('jwks.json')
  @Public()
  // Public keys: cacheable, briefly, so a rotation shows up within minutes.
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'The public keys that verify access tokens (JWKS).' })
  @ApiOkResponse({ type: JwkSetView, description: 'JSON Web Key Set with the current and (during rotation) previous token-signing keys.' })
  jwks(): { keys: object[] } {
    return this.signer.jwks();
  }

  /**
   * OAuth client libraries and Swagger UI discover the token endpoint here
   * instead of being configured with it. URLs are built on the issuer, the
   * public address the deployment names in JWT_ISSUER (RFC 8414 §3.3: the
   * issuer must match the one the metadata is fetched for).
   */
  @Get('oauth-authorization-server')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'OAuth 2.0 authorization server metadata (RFC 8414).' })
  @ApiOkResponse({ type: AuthorizationServerMetadataView })
  metadata(): AuthorizationServerMetadataView {
    const base = this.config.jwtIssuer.replace(/\/+$/, '');
    return {
      issuer: this.config.jwtIssuer,
      token_endpoint: `${base}${OAUTH_TOKEN_PATH}`,
      jwks_uri: `${base}${JWKS_PATH}`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...SCOPES],
      response_types_supported: [],
    };
  }
}
