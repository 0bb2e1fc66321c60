import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError } from '../../platform/http/problem-details';
import { OAuthError } from '../../platform/auth/oauth-error';
import type { AuthenticatedRequest, AuthPrincipal } from '../../platform/auth/principal';
import { Public } from '../../platform/auth/public.decorator';
import { RequestSignatureVerifier } from '../../platform/auth/signatures/request-signature.verifier';
import { isScope, Scope } from '../../platform/auth/scopes';
import { TokenSigner } from '../../platform/auth/token-signer';
import { AuthThrottle } from '../../platform/throttling/throttle.decorators';
import { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator';

class TokenResponse {
  @ApiProperty() access_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires.' }) expires_in: number;
  @ApiProperty({ description: 'Space-separated scopes the token carries.' }) scope: string;
}

class TokenRequest {
  @ApiProperty({ enum: ['client_credentials'] }) grant_type: string;
  @ApiProperty({ description: 'The API key id (key_…). Or send client_id:client_secret with HTTP Basic.' }) client_id: string;
  @ApiProperty({ description: 'The API key itself.' }) client_secret: string;
  @ApiProperty({ required: false, description: 'Space-separated subset of the key’s scopes.' }) scope?: string;
}

const MAX_PARAM_LENGTH = 512;

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): an API key exchanged for a
 * short-lived ES256 access token (RFC 9068). As RFC 6749 §3.2 asks, unknown
 * parameters are ignored, repeated ones refused.
 */
@ApiTags('oauth')
@Controller('v1/oauth')
export class OAuthTokenController {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly signer: TokenSigner,
    private readonly signatures: RequestSignatureVerifier,
  ) {}

  @Post('token')
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Exchange an API key for an access token (client credentials).' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequest })
  @ApiOkResponse({ type: TokenResponse })
  async token(@Req() req: Request): Promise<TokenResponse> {
    const params = readParams(req.body);
    if (params.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (params.grant_type !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
    }
    const { clientId, clientSecret, usedBasic } = clientCredentials(req, params);
    const principal = await this.authenticateClient(clientId, clientSecret, req.ip ?? '', usedBasic);
    // The route is public, but once the client is known the issuance is audited
    // as that key's, in its organization's trail.
    (req as AuthenticatedRequest).principal = principal;
    // API.md §1b: a key that requires signed requests signs its token requests
    // too (a refusal is the signature's 401 problem+json, not an OAuth error).
    if (principal.signing) await this.signatures.verify(req, { ...principal, signing: principal.signing });
    const scopes = narrowScopes(principal.scopes, params.scope);
    const issued = this.signer.issue({ keyId: principal.keyId, orgId: principal.orgId, scopes });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') };
  }

  private async authenticateClient(clientId: string, secret: string, ip: string, usedBasic: boolean): Promise<AuthPrincipal> {
    const challenge = usedBasic ? { 'WWW-Authenticate': 'Basic realm="musicpub"' } : undefined;
    let principal: AuthPrincipal;
    try {
      principal = await this.authenticator.authenticateKey(secret, ip);
    } catch (error) {
      if (error instanceof DomainError) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, challenge);
      throw error;
    }
    if (principal.keyId !== clientId) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, challenge);
    return principal;
  }
}

type Params = Partial<Record<'grant_type' | 'client_id' | 'client_secret' | 'scope', string>>;

function readParams(body: unknown): Params {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded (or JSON).');
  }
  const out: Params = {};
  for (const name of ['grant_type', 'client_id', 'client_secret', 'scope'] as const) {
    const value = (body as Record<string, unknown>)[name];
    if (value === undefined || value === '') continue; // RFC 6749 §3.1: empty = omitted
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once, as a string.`);
    if (value.length > MAX_PARAM_LENGTH) throw new OAuthError('invalid_request', `${name} is too long.`);
    out[name] = value;
  }
  return out;
}

function clientCredentials(req: Request, params: Params): { clientId: string; clientSecret: string; usedBasic: boolean } {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    if (params.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'Authenticate the client one way: HTTP Basic or client_secret, not both.');
    }
    const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(authorization);
    const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, { 'WWW-Authenticate': 'Basic realm="musicpub"' });
    // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
    try {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
        usedBasic: true,
      };
    } catch {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, { 'WWW-Authenticate': 'Basic realm="musicpub"' });
    }
  }
  if (params.client_id === undefined || params.client_secret === undefined) {
    throw new OAuthError('invalid_client', 'client_id and client_secret are required.', 401);
  }
  return { clientId: params.client_id, clientSecret: params.client_secret, usedBasic: false };
}

function narrowScopes(held: readonly Scope[], requested: string | undefined): Scope[] {
  if (requested === undefined) return [...held];
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const invalid = wanted.filter((s) => !isScope(s) || !held.includes(s));
  if (wanted.length === 0 || invalid.length > 0) {
    // Client input is not echoed: RFC 6749 §5.2 limits error_description's characters.
    throw new OAuthError('invalid_scope', 'The requested scope is empty, unknown, or not held by this key.');
  }
  return wanted as Scope[];
}
