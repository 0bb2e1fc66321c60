import { CanActivate, ExecutionContext, Injectable, Optional } from '@nestjs/common';
import type { Request } from 'express';
import { requestOf } from '../../http/http-context';
import { AuthAttemptLimiter } from '../../throttling/auth-attempt-limiter';
import { Unauthenticated } from '../auth-errors';
import { principalOf, type AuthPrincipal } from '../principal';
import { RequestSignatureVerifier } from './request-signature.verifier';

/**
 * Signed requests (API guide: Signed requests), for every authenticated route. Runs right
 * after AuthGuard, which has established who is calling: when that key — or
 * the key a token was issued from — requires signed requests, the request's
 * RFC 9421 signature must verify, else 401 with the reason. It runs before
 * ScopesGuard, the rate limits, interceptors and handlers, so a refused
 * request changes nothing. Like a bad credential, a refused signature counts
 * against the client address's `auth` limit (API guide: Rate limits).
 *
 * Public routes carry no principal here; the token endpoint verifies its own
 * request once it knows the client (OAuthTokenController).
 */
@Injectable()
export class RequestSignatureGuard implements CanActivate {
  constructor(
    private readonly verifier: RequestSignatureVerifier,
    @Optional() private readonly attempts?: AuthAttemptLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = requestOf(context);
    const principal = principalOf(req);
    if (!principal?.signing) return true;
    return this.verify(context, req, principal as AuthPrincipal & { signing: NonNullable<AuthPrincipal['signing']> });
  }

  private async verify(context: ExecutionContext, req: Request, principal: AuthPrincipal & { signing: NonNullable<AuthPrincipal['signing']> }): Promise<boolean> {
    try {
      await this.verifier.verify(req, { ...principal, signing: principal.signing });
    } catch (error) {
      if (error instanceof Unauthenticated) await this.attempts?.recordFailedAttempt(context);
      throw error;
    }
    return true;
  }
}
