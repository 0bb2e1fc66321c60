import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { decode, verify } from 'jsonwebtoken';
import { AppConfig } from '../../config/app-config';
import { CREDENTIAL_AUTHENTICATOR, type CredentialAuthenticator } from './credential-authenticator';
import type { AuthSubject } from './auth-errors';
import { isAccessTokenClaims, TokenSigner } from './token-signer';
import { clientAddressOf } from '../http/http-context';

/**
 * Who sent a request that was refused before authentication ran (a body too
 * large, a media type not accepted, a body that does not parse: Express
 * middleware answers those before any guard), so the refusal is audited in
 * the caller's organization, where its owners can see it, rather than as
 * anonymous. The credential must verify exactly as AuthGuard would verify it;
 * anything less names nobody.
 */
@Injectable()
export class CallerIdentifier {
  constructor(
    private readonly config: AppConfig,
    private readonly signer: TokenSigner,
    @Inject(CREDENTIAL_AUTHENTICATOR) private readonly authenticator: CredentialAuthenticator,
  ) {}

  async identify(req: Request): Promise<AuthSubject | undefined> {
    try {
      const apiKey = req.headers['x-api-key'];
      const authorization = req.headers.authorization;
      if (typeof apiKey === 'string' && authorization === undefined) {
        const { orgId, keyId, credential } = await this.authenticator.authenticateKey(apiKey, clientAddressOf(req));
        return { orgId, keyId, credential };
      }
      if (apiKey === undefined && typeof authorization === 'string' && /^Bearer /i.test(authorization)) {
        const raw = authorization.slice('Bearer '.length).trim();
        const kid = decode(raw, { complete: true })?.header.kid;
        const key = kid ? this.signer.verificationKey(kid) : undefined;
        if (!key) return undefined;
        const claims = verify(raw, key, {
          algorithms: [this.signer.algorithm],
          issuer: this.config.jwtIssuer,
          audience: this.config.jwtAudience,
          maxAge: `${this.config.tokenTtlSeconds + 5}s`,
          clockTolerance: 5,
        });
        if (!isAccessTokenClaims(claims)) return undefined;
        const { orgId, keyId, credential } = await this.authenticator.authenticateToken(claims, clientAddressOf(req));
        return { orgId, keyId, credential };
      }
    } catch (error) {
      // A key that is known but refused (revoked, expired, wrong address) names its owner, as AuthGuard's refusal would;
      // an unknown or invalid credential names nobody.
      return (error as { subject?: AuthSubject } | null)?.subject;
    }
    return undefined;
  }
}
