import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants';
import type { Response } from 'express';
import { QuotaExceeded } from './quota-exceeded.error';
import { PolicyUsage, rateLimitHeaders, usageOf } from './rate-limit-headers';

const USAGES = Symbol('rateLimitUsages');
type CarriesUsages = { [USAGES]?: PolicyUsage[] };

/**
 * @nestjs/throttler's guard, with the library's named throttlers, skips,
 * route overrides and storage contract, but answering as API guide: Rate limits asks:
 * every policy the route counts against is reported in RateLimit-Policy /
 * RateLimit (and the binding one in X-RateLimit-*), and a refusal is a
 * QuotaExceeded problem naming every violated policy (not ThrottlerException).
 *
 * A global guard that runs after AuthGuard and before ScopesGuard (see
 * pipeline/global-guards.ts), so the principal
 * (and with it the API key to count against) is known.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly applies = new WeakMap<object, WeakMap<object, boolean>>();

  /**
   * False when the route counts against none of the policies (@SkipThrottle,
   * and no opt-in for `uploads` or `auth`), decided once per route: the
   * library's per-request questions (skip flag and skipIf per policy) depend
   * only on the route's metadata here (see throttler-options.ts).
   */
  appliesTo(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let known = this.applies.get(classRef);
    if (!known) this.applies.set(classRef, (known = new WeakMap()));
    let applies = known.get(handler);
    if (applies === undefined) {
      applies = this.throttlers.some((throttler) => {
        const skipped = this.reflector.getAllAndOverride<boolean>(THROTTLER_SKIP + (throttler.name ?? 'default'), [handler, classRef]);
        return !(skipped || (throttler.skipIf ?? this.commonOptions.skipIf)?.(context));
      });
      known.set(handler, applies);
    }
    return applies;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (await super.canActivate(context)) return true;
    const req = this.getRequestResponse(context).req as CarriesUsages;
    throw new QuotaExceeded((req[USAGES] ?? []).filter((usage) => usage.exceeded));
  }

  /** Counts the request against one policy; returns false (not throw) when over, so every policy is counted and named. */
  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const name = throttler.name ?? 'default';
    const key = generateKey(context, await getTracker(req, context), name);
    const record = await this.storageService.increment(key, ttl, limit, 0, name);
    const usage = usageOf(
      { name, limit, windowSeconds: Math.round(ttl / 1000) },
      { count: record.totalHits, resetMs: record.timeToExpire * 1000 },
      record.isBlocked,
    );
    const usages = ((req as CarriesUsages)[USAGES] ??= []);
    usages.push(usage);
    (res as Response).set(rateLimitHeaders(usages));
    return !usage.exceeded;
  }
}
