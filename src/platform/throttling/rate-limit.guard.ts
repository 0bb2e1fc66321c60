import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type Resolvable,
  type ThrottlerGenerateKeyFunction,
  type ThrottlerGetTrackerFunction,
  type ThrottlerOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { Request, Response } from 'express';
import { QuotaExceeded } from './quota-exceeded.error';
import { PolicyUsage, rateLimitHeaders, usageOf } from './rate-limit-headers';

const USAGES = Symbol('rateLimitUsages');
type CarriesUsages = { [USAGES]?: PolicyUsage[] };

/** One named throttler as it applies to one route: the route's overrides already merged in. */
interface RoutePolicy {
  throttler: ThrottlerOptions;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration: Resolvable<number> | undefined;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  /** Set when no value depends on the request: the policy as handleRequest takes it, checked once. */
  fixed?: Omit<ThrottlerRequest, 'context'>;
}

/**
 * @nestjs/throttler's guard, with the library's named throttlers, skips,
 * route overrides and storage contract, but answering as API guide: Rate limits asks:
 * every policy the route counts against is reported in RateLimit-Policy /
 * RateLimit (and the binding one in X-RateLimit-*), and a refusal is a
 * QuotaExceeded problem naming every violated policy (not ThrottlerException).
 *
 * Which policies count a route, and with which overrides, is read from the
 * route's metadata once per route (the library asks six questions per policy
 * and awaits three values on every request); a value given as a function of
 * the request is still resolved on every request.
 *
 * A global guard that runs after AuthGuard and before ScopesGuard (see
 * pipeline/global-guards.ts), so the principal
 * (and with it the API key to count against) is known.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly routes = new WeakMap<object, WeakMap<object, RoutePolicy[]>>();

  /** False when the route counts against none of the policies (@SkipThrottle, and no opt-in for `uploads` or `auth`). */
  appliesTo(context: ExecutionContext): boolean {
    return this.policiesOf(context).length > 0;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    let allowed = true;
    for (const policy of this.policiesOf(context)) {
      const request: ThrottlerRequest = policy.fixed ? { context, ...policy.fixed } : await resolvedRequest(policy, context);
      // Every policy is counted even after one refuses, so the refusal names all it broke.
      if (!(await this.handleRequest(request))) allowed = false;
    }
    if (allowed) return true;
    const req = context.getArgByIndex<Request & CarriesUsages>(0);
    throw new QuotaExceeded((req[USAGES] ?? []).filter((usage) => usage.exceeded));
  }

  /** Counts the request against one policy; returns false (not throw) when over, so every policy is counted and named. */
  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const req = context.getArgByIndex<Request & CarriesUsages>(0);
    const name = throttler.name ?? 'default';
    const key = generateKey(context, await getTracker(req, context), name);
    const record = await this.storageService.increment(key, ttl, limit, 0, name);
    const usage = usageOf(
      { name, limit, windowSeconds: Math.round(ttl / 1000) },
      { count: record.totalHits, resetMs: record.timeToExpire * 1000 },
      record.isBlocked,
    );
    const usages = (req[USAGES] ??= []);
    usages.push(usage);
    context.getArgByIndex<Response>(1).set(rateLimitHeaders(usages));
    return !usage.exceeded;
  }

  /**
   * The policies counting this route, as the library decides per request:
   * @SkipThrottle and the throttler's skipIf (which, here, reads only route
   * metadata: throttler-options.ts), then the route's or class's overrides.
   */
  private policiesOf(context: ExecutionContext): RoutePolicy[] {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let known = this.routes.get(classRef);
    if (!known) this.routes.set(classRef, (known = new WeakMap()));
    let policies = known.get(handler);
    if (policies === undefined) {
      const targets = [handler, classRef];
      const override = <T>(key: string, throttler: ThrottlerOptions) => this.reflector.getAllAndOverride<T | undefined>(key + throttler.name, targets);
      policies = this.throttlers
        .filter((throttler) => !(override<boolean>(THROTTLER_SKIP, throttler) || (throttler.skipIf ?? this.commonOptions.skipIf)?.(context)))
        .map((throttler) =>
          withFixedValues({
            throttler,
            limit: override<Resolvable<number>>(THROTTLER_LIMIT, throttler) ?? throttler.limit,
            ttl: override<Resolvable<number>>(THROTTLER_TTL, throttler) ?? throttler.ttl,
            blockDuration: override<Resolvable<number>>(THROTTLER_BLOCK_DURATION, throttler) ?? throttler.blockDuration,
            getTracker: override<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER, throttler) ?? throttler.getTracker ?? this.commonOptions.getTracker!,
            generateKey: override<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR, throttler) ?? throttler.generateKey ?? this.commonOptions.generateKey!,
          }),
        );
      known.set(handler, policies);
    }
    return policies;
  }
}

/** The policy as handleRequest takes it, each value resolved (a function of the request) and checked as the library does. */
async function resolvedRequest(policy: RoutePolicy, context: ExecutionContext): Promise<ThrottlerRequest> {
  const name = policy.throttler.name ?? 'default';
  const value = async (resolvable: Resolvable<number>, option: string) =>
    checkedNumber(typeof resolvable === 'function' ? await resolvable(context) : resolvable, option, name);
  const ttl = await value(policy.ttl, 'ttl');
  return {
    context,
    throttler: policy.throttler,
    limit: await value(policy.limit, 'limit'),
    ttl,
    blockDuration: policy.blockDuration === undefined ? ttl : await value(policy.blockDuration, 'blockDuration'),
    getTracker: policy.getTracker,
    generateKey: policy.generateKey,
  };
}

/** Resolves a policy whose values are all fixed once, so its requests cost no promise for them; a bad value fails on the route's first request. */
function withFixedValues(policy: RoutePolicy): RoutePolicy {
  const { throttler, limit, ttl, blockDuration } = policy;
  if ([limit, ttl, blockDuration].some((value) => typeof value === 'function')) return policy;
  const name = throttler.name ?? 'default';
  const fixedTtl = checkedNumber(ttl, 'ttl', name);
  const fixed = {
    throttler,
    limit: checkedNumber(limit, 'limit', name),
    ttl: fixedTtl,
    blockDuration: blockDuration === undefined ? fixedTtl : checkedNumber(blockDuration, 'blockDuration', name),
    getTracker: policy.getTracker,
    generateKey: policy.generateKey,
  };
  return { ...policy, fixed };
}

/** The library's value check: a number, or a string holding one. */
function checkedNumber(value: unknown, option: string, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(`Invalid "${option}" for the "${name}" throttler: expected a number, got ${JSON.stringify(value)}.`);
  }
  return number;
}
