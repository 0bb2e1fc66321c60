import { Injectable } from '@nestjs/common';
import { OAuthError } from '../../platform/auth/oauth-error';
import type { AuthPrincipal } from '../../platform/auth/principal';
import { TokenSigner } from '../../platform/auth/token-signer';
import { DomainError } from '../../platform/errors/domain-errors';
import { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator';
import { narrowScopes, TokenRequest } from './token-request';

export interface IssuedTokenView {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Client credentials (RFC 6749 §4.4): the API key is the client secret; the token is an ES256 RFC 9068 JWT. */
@Injectable()
export class OAuthTokenService {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly signer: TokenSigner,
  ) {}

  /** The key the request authenticates as; any failure is `invalid_client`, saying no more (RFC 6749 §5.2). */
  async authenticateClient(request: TokenRequest, ip: string): Promise<AuthPrincipal> {
    const challenge = request.usedBasic ? { 'WWW-Authenticate': 'Basic realm="musicpub"' } : undefined;
    let principal: AuthPrincipal;
    try {
      principal = await this.authenticator.authenticateKey(request.clientSecret, ip);
    } catch (error) {
      if (error instanceof DomainError) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, challenge);
      throw error;
    }
    if (principal.keyId !== request.clientId) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, challenge);
    return principal;
  }

  issue(principal: AuthPrincipal, requestedScope: string | undefined): IssuedTokenView {
    const scopes = narrowScopes(principal.scopes, requestedScope);
    const issued = this.signer.issue({ keyId: principal.keyId, orgId: principal.orgId, scopes });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') };
  }
}
