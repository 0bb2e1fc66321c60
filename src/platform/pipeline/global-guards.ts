import { CanActivate, ExecutionContext, Injectable, type Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { AuthGuard } from '../auth/auth.guard';
import { ScopesGuard } from '../auth/scopes.guard';
import { RequestSignatureGuard } from '../auth/signatures/request-signature.guard';
import { BodyShapeGuard } from '../http/json-shape';
import { RateLimitGuard } from '../throttling/rate-limit.guard';
import { CachedReflector } from './cached-reflector';

/**
 * Every request's guards, in the one order they run:
 *
 * 1. AuthGuard: who is calling (401; failures count against the address's `auth` budget).
 * 2. RequestSignatureGuard: a key that requires signed requests gets them verified (401).
 * 3. RateLimitGuard: counts the request against the caller's budgets (429). It runs
 *    before the scope check, so a key probing routes it may not use spends its
 *    budget on every 403 like on any other request.
 * 4. ScopesGuard: the route's @Scopes() (403).
 * 5. BodyShapeGuard: hostile body shapes (deep nesting, NUL, __proto__), refused
 *    as the caller's once the caller is known.
 *
 * They run as one global guard: Nest awaits each global guard in turn, so
 * five of them cost five promise round trips on every request, even on a
 * public route where none has anything to do. Here a guard that answers
 * synchronously (a public route, no signature required, no policy counts the
 * route) costs a call, and the chain only becomes asynchronous at the first
 * guard that has something to wait for. The rate limit is asked through
 * `count`, which answers at once when its counters are in memory (its
 * `canActivate`, the library's contract, is always a promise).
 */
@Injectable()
export class RequestGuards implements CanActivate {
  private readonly chain: CanActivate[];

  constructor(
    auth: AuthGuard,
    signature: RequestSignatureGuard,
    private readonly rateLimit: RateLimitGuard,
    scopes: ScopesGuard,
    bodyShape: BodyShapeGuard,
  ) {
    this.chain = [auth, signature, rateLimit, scopes, bodyShape];
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.from(0, context);
  }

  private from(start: number, context: ExecutionContext): boolean | Promise<boolean> {
    for (let i = start; i < this.chain.length; i++) {
      const guard = this.chain[i];
      const verdict = guard === this.rateLimit ? this.rateLimit.count(context) : guard.canActivate(context);
      if (verdict instanceof Promise) return verdict.then((ok) => ok && this.from(i + 1, context));
      if (typeof verdict !== 'boolean') throw new Error(`${guard.constructor.name} answered with an Observable; the request guards expect a boolean or a Promise`);
      if (!verdict) return false;
    }
    return true;
  }
}

export const GLOBAL_GUARDS: Provider[] = [AuthGuard, RequestSignatureGuard, RateLimitGuard, ScopesGuard, BodyShapeGuard, { provide: APP_GUARD, useClass: RequestGuards }];

/**
 * Providers of the module that registers GLOBAL_GUARDS: they (and
 * @nestjs/throttler's guard) get a Reflector that looks each route's metadata
 * up once, not on every request.
 */
export const PIPELINE_REFLECTOR: Provider = { provide: Reflector, useClass: CachedReflector };
