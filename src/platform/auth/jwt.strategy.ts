import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { decode } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import type { CredentialAuthenticator } from './credential-authenticator';
import { Unauthenticated } from './auth-errors';
import type { AuthPrincipal } from './principal';
import { ACCESS_TOKEN_TYP, AccessTokenClaims, TokenSigner, isAccessTokenClaims } from './token-signer';
import { clientAddressOf } from '../http/http-context';

/**
 * `Authorization: Bearer <jwt>` (API guide: Authentication, RFC 9068). passport-jwt verifies
 * with the algorithm, issuer and audience pinned, so `alg: none` and HS256
 * signed with our public key never verify; the key is chosen by `kid` among
 * the published ones. After the signature, the key the token came from must
 * still be usable (revocation reaches tokens within a second).
 * Registered with passport under `name` (see PassportNames).
 */
export function createJwtStrategy(name: string, config: AppConfig, signer: TokenSigner, authenticator: CredentialAuthenticator): object {
  class JwtStrategy extends PassportStrategy(Strategy, name) {
    constructor() {
      super({
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        algorithms: [signer.algorithm],
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        ignoreExpiration: false,
        passReqToCallback: true,
        jsonWebTokenOptions: { maxAge: `${config.tokenTtlSeconds + 5}s`, clockTolerance: 5 },
        secretOrKeyProvider: (_req: Request, rawJwt: string, done: (err: unknown, key?: string) => void) => {
          const header = decode(rawJwt, { complete: true })?.header;
          const key = header?.kid ? signer.verificationKey(header.kid) : undefined;
          if (!key) return done(new Unauthenticated('The access token is invalid.', 'token_invalid'));
          done(null, key);
        },
      });
    }

    async validate(req: Request, payload: unknown): Promise<AuthPrincipal> {
      // RFC 9068 §4: the resource server checks `typ` so an ID token or other JWT
      // signed by the same key cannot pass as an access token.
      const raw = (req.headers.authorization ?? '').slice('Bearer '.length);
      const typ = decode(raw, { complete: true })?.header.typ?.toLowerCase();
      // RFC 9068 §2.1: "at+jwt", or the full media type "application/at+jwt".
      if ((typ !== ACCESS_TOKEN_TYP && typ !== `application/${ACCESS_TOKEN_TYP}`) || !isAccessTokenClaims(payload)) {
        throw new Unauthenticated('The access token is invalid.', 'token_invalid');
      }
      const claims: AccessTokenClaims = payload;
      // maxAge bounds a token's use to TOKEN_TTL_SECONDS after its iat; an iat
      // in the future would stretch that bound.
      if (claims.iat > Math.floor(Date.now() / 1000) + 5) {
        throw new Unauthenticated('The access token is invalid.', 'token_invalid');
      }
      return authenticator.authenticateToken(claims, clientAddressOf(req));
    }
  }
  return new JwtStrategy();
}
