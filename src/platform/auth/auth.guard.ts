import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { DomainError } from '../http/problem-details';
import { Unauthenticated } from './auth-errors';
import { API_KEY_STRATEGY } from './api-key.strategy';
import { JWT_STRATEGY } from './jwt.strategy';
import type { AuthenticatedRequest, AuthPrincipal } from './principal';
import { IS_PUBLIC } from './public.decorator';

/** Query parameters that look like credentials: refused outright (API.md §1), never logged in clear. */
const QUERY_CREDENTIAL = /^(api[_-]?key|x-api-key|key|access[_-]?token|token|client[_-]?secret|authorization|jwt)$/i;

/** Maps passport-jwt's `info` (jsonwebtoken's errors) to a reason a client can act on. */
function tokenFailure(info: unknown): Unauthenticated {
  const name = (info as { name?: string } | undefined)?.name;
  if (name === 'TokenExpiredError') return new Unauthenticated('The access token has expired; request a new one.', 'token_expired');
  return new Unauthenticated('The access token is invalid.', 'token_invalid');
}

class ApiKeyPassportGuard extends PassportAuthGuard(API_KEY_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new Unauthenticated('The API key is invalid.', 'key_invalid');
    return user;
  }
}

class JwtPassportGuard extends PassportAuthGuard(JWT_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err instanceof DomainError) throw err;
    if (err || !user) throw tokenFailure(info ?? err);
    return user;
  }
}

/**
 * The one global authentication guard. Every route is authenticated unless it
 * is @Public(); the credential kind is chosen by the header the client sent,
 * and the passport strategy for it establishes the principal.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly apiKeyGuard = new ApiKeyPassportGuard();
  private readonly jwtGuard = new JwtPassportGuard();

  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request>();

    if (Object.keys(req.query ?? {}).some((name) => QUERY_CREDENTIAL.test(name))) {
      throw new Unauthenticated('Credentials are not accepted in the query string; send X-API-Key or Authorization: Bearer.', 'credential_in_query');
    }
    const apiKey = req.headers['x-api-key'];
    const authorization = req.headers.authorization;
    if (apiKey !== undefined && authorization !== undefined) {
      throw new Unauthenticated('Send one credential: either X-API-Key or Authorization, not both.', 'ambiguous_credentials');
    }
    if (apiKey !== undefined) {
      await this.apiKeyGuard.canActivate(context);
    } else if (authorization !== undefined) {
      if (!/^Bearer [A-Za-z0-9._~+/-]+=*$/.test(authorization)) {
        throw new Unauthenticated('The Authorization header must be "Bearer <access token>".', 'authorization_malformed');
      }
      await this.jwtGuard.canActivate(context);
    } else {
      throw new Unauthenticated('This endpoint needs a credential: X-API-Key or Authorization: Bearer.', 'credential_missing');
    }
    const authenticated = req as AuthenticatedRequest & { user?: AuthPrincipal };
    authenticated.principal = authenticated.user;
    return true;
  }
}
