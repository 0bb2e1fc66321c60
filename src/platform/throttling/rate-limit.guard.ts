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
import { requestOf, responseOf } from '../http/http-context';
import { QuotaExceeded } from './quota-exceeded.error';
import { PolicyUsage, setRateLimitFields, usageOf, type WindowState } from './rate-limit-headers';
import type { RateLimitStorage } from './rate-limit-storage';

/** A policy as it applies to one request: every value resolved. */
type FixedPolicy = Omit<ThrottlerRequest, 'context'>;

/** One named throttler as it applies to one route: the route's overrides already merged in. */
interface RoutePolicy {
  throttler: ThrottlerOptions;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration: Resolvable<number> | undefined;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  /** Set when no value depends on the request: the policy as it is counted, checked once. */
  fixed?: FixedPolicy;
}

/**
 * @nestjs/throttler's guard, with the library's named throttlers, skips and
 * route overrides, counting in RateLimitStorage (throttler-options.ts always
 * configures it: its windows can be read without a promise), and answering as
 * API guide: Rate limits asks:
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

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    return this.count(context);
  }

  /**
   * Counts the request against every policy of its route (all of them, even
   * after one refuses), sets the rate-limit fields, and throws QuotaExceeded
   * naming every policy it broke. Answers at once while nothing has to be
   * waited for (counters in memory, values fixed, trackers plain strings): a
   * request then pays no promise for its rate limit.
   */
  count(context: ExecutionContext): boolean | Promise<boolean> {
    const policies = this.policiesOf(context);
    if (policies.length === 0) return true;
    const usages: PolicyUsage[] = [];
    let pending: Promise<void> | undefined;
    for (const policy of policies) {
      if (pending) pending = pending.then(() => this.countAgainst(policy, context, usages));
      else pending = this.countAgainst(policy, context, usages) ?? undefined;
    }
    return pending ? pending.then(() => this.verdict(context, usages)) : this.verdict(context, usages);
  }

  private countAgainst(policy: RoutePolicy, context: ExecutionContext, usages: PolicyUsage[]): void | Promise<void> {
    if (policy.fixed) return this.countWith(policy.fixed, context, usages);
    return resolvedRequest(policy, context).then((request) => this.countWith(request, context, usages));
  }

  private countWith(policy: FixedPolicy, context: ExecutionContext, usages: PolicyUsage[]): void | Promise<void> {
    const tracker = policy.getTracker(requestOf(context), context);
    if (typeof tracker !== 'string') return tracker.then((resolved) => this.countWith({ ...policy, getTracker: () => resolved }, context, usages));
    const name = policy.throttler.name ?? 'default';
    const state = (this.storageService as RateLimitStorage).hit(policy.generateKey(context, tracker, name), policy.ttl);
    if (state instanceof Promise) return state.then((counted) => void usages.push(usageAgainst(policy, name, counted)));
    usages.push(usageAgainst(policy, name, state));
  }

  private verdict(context: ExecutionContext, usages: PolicyUsage[]): boolean {
    setRateLimitFields(responseOf(context), usages);
    if (usages.every((usage) => !usage.exceeded)) return true;
    throw new QuotaExceeded(usages.filter((usage) => usage.exceeded));
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

function usageAgainst(policy: FixedPolicy, name: string, state: WindowState): PolicyUsage {
  return usageOf({ name, limit: policy.limit, windowSeconds: Math.round(policy.ttl / 1000) }, state);
}

/** The policy as it is counted, each value resolved (a function of the request) and checked as the library does. */
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
