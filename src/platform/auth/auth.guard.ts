import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { containsSecretShape } from '../audit/secret-shapes';
import { DomainError } from '../errors/domain-errors';
import { clientAddressOf, queryOf, requestOf } from '../http/http-context';
import { AuthAttemptLimiter } from '../throttling/auth-attempt-limiter';
import { Unauthenticated } from './auth-errors';
import { CREDENTIAL_AUTHENTICATOR, type CredentialAuthenticator } from './credential-authenticator';
import { PassportNames } from './passport-names';
import { attachPrincipal, type AuthPrincipal } from './principal';
import { IS_PUBLIC } from './public.decorator';

/** Query parameters that look like credentials: refused outright (API guide: Authentication), never logged in clear. */
const QUERY_CREDENTIAL = /^(api[_-]?key|x-api-key|key|access[_-]?token|token|client[_-]?secret|authorization|jwt)$/i;

/** Maps passport-jwt's `info` (jsonwebtoken's errors) to a reason a client can act on. */
function tokenFailure(info: unknown): Unauthenticated {
  const name = (info as { name?: string } | undefined)?.name;
  if (name === 'TokenExpiredError') return new Unauthenticated('The access token has expired; request a new one.', 'token_expired');
  return new Unauthenticated('The access token is invalid.', 'token_invalid');
}

function jwtPassportGuard(strategy: string): CanActivate {
  class JwtPassportGuard extends PassportAuthGuard(strategy) {
    override handleRequest<T>(err: unknown, user: T, info: unknown): T {
      if (err instanceof DomainError) throw err;
      if (err || !user) throw tokenFailure(info ?? err);
      return user;
    }
  }
  return new JwtPassportGuard();
}

/**
 * The one global authentication guard. Every route is authenticated unless it
 * is @Public(); the credential kind is chosen by the header the client sent:
 * an API key goes to the credential authenticator, a bearer token through
 * passport-jwt; either establishes the principal.
 * Each failed authentication (401) draws on the client address's `auth` rate
 * limit, and an address that has used it up gets 429 before its credential is
 * even looked at (API guide: Rate limits; see AuthAttemptLimiter).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly jwtGuard: CanActivate;

  constructor(
    private readonly reflector: Reflector,
    names: PassportNames,
    @Inject(CREDENTIAL_AUTHENTICATOR) private readonly credentials: CredentialAuthenticator,
    @Optional() private readonly attempts?: AuthAttemptLimiter,
  ) {
    this.jwtGuard = jwtPassportGuard(names.jwt);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // Synchronous for public routes: nothing to wait for.
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    // Synchronous too for a key whose state the process knows and counters in
    // memory (the common request): three awaits here were three promises and
    // microtask turns on every authenticated request.
    const allowed = this.attempts?.assertAttemptAllowed(context);
    if (allowed) return allowed.then(() => this.authenticateCounted(context));
    return this.authenticateCounted(context);
  }

  /** authenticate(), with every Unauthenticated counted against the address's `auth` budget before it is thrown. */
  private authenticateCounted(context: ExecutionContext): boolean | Promise<boolean> {
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.authenticate(context);
    } catch (error) {
      return this.refused(context, error);
    }
    return verdict instanceof Promise ? verdict.catch((error: unknown) => this.refused(context, error)) : verdict;
  }

  private async refused(context: ExecutionContext, error: unknown): Promise<never> {
    if (error instanceof Unauthenticated) await this.attempts?.recordFailedAttempt(context);
    throw error;
  }

  private authenticate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = requestOf(context);

    // By name (?api_key=…), or a credential sent as the name itself (?mpk_live_…).
    if (Object.keys(queryOf(req) ?? {}).some((name) => QUERY_CREDENTIAL.test(name) || containsSecretShape(name))) {
      throw new Unauthenticated('Credentials are not accepted in the query string; send X-API-Key or Authorization: Bearer.', 'credential_in_query');
    }
    const apiKey = req.headers['x-api-key'];
    const authorization = req.headers.authorization;
    if (apiKey !== undefined && authorization !== undefined) {
      throw new Unauthenticated('Send one credential: either X-API-Key or Authorization, not both.', 'ambiguous_credentials');
    }
    if (apiKey !== undefined) {
      // Straight to the authenticator: passport would add a strategy instance,
      // req.login/logout and two callbacks per request and decide nothing more.
      const principal = this.credentials.authenticateKey(Array.isArray(apiKey) ? apiKey.join(',') : apiKey, clientAddressOf(req));
      if (principal instanceof Promise) return principal.then((known) => attachAndAllow(req, known));
      return attachAndAllow(req, principal);
    }
    if (authorization === undefined) {
      throw new Unauthenticated('This endpoint needs a credential: X-API-Key or Authorization: Bearer.', 'credential_missing');
    }
    // RFC 9110 §11.1: the scheme name is case-insensitive.
    if (!/^Bearer [A-Za-z0-9._~+/-]+=*$/i.test(authorization)) {
      throw new Unauthenticated('The Authorization header must be "Bearer <access token>".', 'authorization_malformed');
    }
    return (this.jwtGuard.canActivate(context) as Promise<boolean>).then(() => {
      // Passport leaves what the strategy returned on req.user.
      const user = (req as Request & { user?: AuthPrincipal }).user;
      if (user) attachPrincipal(req, user);
      return true;
    });
  }
}

function attachAndAllow(req: Request, principal: AuthPrincipal): true {
  attachPrincipal(req, principal);
  return true;
}
