import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '../auth/auth.guard';
import { ScopesGuard } from '../auth/scopes.guard';
import { RequestSignatureGuard } from '../auth/signatures/request-signature.guard';
import { BodyShapeGuard } from '../http/json-shape';
import { RateLimitGuard } from '../throttling/rate-limit.guard';

/**
 * Every request's guards, in the one order they run (Nest runs APP_GUARDs in
 * the order they are provided, so this list is the order):
 *
 * 1. AuthGuard: who is calling (401; failures count against the address's `auth` budget).
 * 2. RequestSignatureGuard: a key that requires signed requests gets them verified (401).
 * 3. RateLimitGuard: counts the request against the caller's budgets (429). It runs
 *    before the scope check, so a key probing routes it may not use spends its
 *    budget on every 403 like on any other request.
 * 4. ScopesGuard: the route's @Scopes() (403).
 * 5. BodyShapeGuard: hostile body shapes (deep nesting, NUL, __proto__), refused
 *    as the caller's once the caller is known.
 */
export const GLOBAL_GUARDS: Provider[] = [AuthGuard, RequestSignatureGuard, RateLimitGuard, ScopesGuard, BodyShapeGuard].map((guard) => ({
  provide: APP_GUARD,
  useClass: guard,
}));
