import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { CachedReflector } from '../pipeline/cached-reflector';

/** The named limits of API guide: Rate limits (THROTTLE_DEFAULT, THROTTLE_UPLOADS, THROTTLE_AUTH). */
export type PolicyName = 'default' | 'uploads' | 'auth';

const OPT_IN_POLICIES = 'musicpub:rateLimitPolicies';
// @nestjs/throttler asks on every request (skipIf); the answers are fixed per route.
const reflector = new CachedReflector();

const tooManyRequests = ApiTooManyRequestsResponse({
  description: 'Rate limit used up (problem+json `quota-exceeded`, with Retry-After).',
});

/**
 * The route also counts against `uploads` (per credential), on top of
 * `default`. For POST /v1/uploads.
 */
export function UploadThrottle(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(OPT_IN_POLICIES, ['uploads']), tooManyRequests);
}

/**
 * The route counts against `auth` per client address instead of `default`:
 * every request, valid or not, because each one is a credential check
 * (the token endpoint). Failed authentications elsewhere draw on the same budget.
 */
export function AuthThrottle(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(OPT_IN_POLICIES, ['auth']), SkipThrottle({ default: true }), tooManyRequests);
}

/** Marks an operation in the generated OpenAPI document as counted by no policy; openapi.ts reads and removes it. */
export const UNTHROTTLED_EXTENSION = 'x-musicpub-unthrottled';

/**
 * No policy counts the route (health probes). Said once so the OpenAPI
 * document leaves out the RateLimit headers and the 429 exactly where the
 * guard does.
 */
export function Unthrottled(): MethodDecorator & ClassDecorator {
  return applyDecorators(SkipThrottle(), ApiExtension(UNTHROTTLED_EXTENSION, true)) as MethodDecorator & ClassDecorator;
}

/** `default` applies everywhere unless skipped; `uploads` and `auth` only where a route opts in. */
export function routeOptsInto(context: ExecutionContext, policy: PolicyName): boolean {
  const policies = reflector.getAllAndOverride<PolicyName[] | undefined>(OPT_IN_POLICIES, [context.getHandler(), context.getClass()]);
  return policies?.includes(policy) ?? false;
}
