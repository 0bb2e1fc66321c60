import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Throttle } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config';
import { CachedReflector } from '../pipeline/cached-reflector';
import { QuotaExceeded } from './quota-exceeded.error';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitStorage } from './rate-limit-storage';
import type { RedisConnection } from './redis-connection';
import { throttlerOptions } from './throttler-options';
import { AuthThrottle, Unthrottled, UploadThrottle } from './throttle.decorators';

let perRequestLimit = 1;

class Routes {
  read(): void {}

  @UploadThrottle()
  upload(): void {}

  @AuthThrottle()
  token(): void {}

  @Unthrottled()
  health(): void {}

  // Only the project's own routes are covered by the e2e tests; the library's route overrides must keep working.
  @Throttle({ default: { limit: () => perRequestLimit, ttl: 60_000 } })
  overridden(): void {}

  @Throttle({ default: { limit: 'many' as unknown as number, ttl: 60_000 } })
  misconfigured(): void {}
}

const config = {
  throttleDefault: { limit: 3, windowSeconds: 60 },
  throttleUploads: { limit: 1, windowSeconds: 60 },
  throttleAuth: { limit: 2, windowSeconds: 60 },
} as AppConfig;

async function newGuard(): Promise<RateLimitGuard> {
  const storage = new RateLimitStorage({ client: undefined } as RedisConnection);
  const guard = new RateLimitGuard(throttlerOptions(config, storage), storage, new CachedReflector());
  await guard.onModuleInit();
  return guard;
}

function call(route: keyof Routes, ip = '192.0.2.1'): { context: ExecutionContext; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name] = value) };
  const req = { ip, socket: {}, principal: { orgId: 'org_1', keyId: 'key_1', credential: 'api_key', scopes: [] } };
  return { context: new ExecutionContextHost([req, res], Routes, Routes.prototype[route]), headers };
}

async function refusal(guard: RateLimitGuard, route: keyof Routes, ip?: string): Promise<QuotaExceeded> {
  try {
    await guard.canActivate(call(route, ip).context);
  } catch (error) {
    if (error instanceof QuotaExceeded) return error;
    throw error;
  }
  throw new Error(`${route} was not refused`);
}

describe('RateLimitGuard', () => {
  it('counts a route against `default` and reports it in the RateLimit fields', async () => {
    const guard = await newGuard();
    for (let remaining = 2; remaining >= 0; remaining--) {
      const { context, headers } = call('read');
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(headers).toMatchObject({ 'RateLimit-Policy': '"default";q=3;w=60', 'X-RateLimit-Remaining': String(remaining) });
    }
    expect((await refusal(guard, 'read')).violated.map((u) => u.name)).toEqual(['default']);
  });

  it('counts an upload against `default` and `uploads`, and names only the policy it broke', async () => {
    const guard = await newGuard();
    const { context, headers } = call('upload');
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers['RateLimit-Policy']).toBe('"default";q=3;w=60, "uploads";q=1;w=60');
    expect((await refusal(guard, 'upload')).violated.map((u) => u.name)).toEqual(['uploads']);
    // Refused requests are counted too: `default` has one request left.
    const read = call('read');
    await guard.canActivate(read.context);
    expect(read.headers.RateLimit).toBe('"default";r=0;t=60');
  });

  it('counts the token endpoint against `auth` per address instead of `default`', async () => {
    const guard = await newGuard();
    await guard.canActivate(call('token', '192.0.2.7').context);
    await guard.canActivate(call('token', '192.0.2.7').context);
    await expect(guard.canActivate(call('token', '192.0.2.8').context)).resolves.toBe(true);
    expect((await refusal(guard, 'token', '192.0.2.7')).violated.map((u) => u.name)).toEqual(['auth']);
  });

  it('answers at once, without a promise, while its counters are in memory', async () => {
    const guard = await newGuard();
    const first = call('read');
    expect(guard.count(first.context)).toBe(true);
    expect(first.headers).toMatchObject({ RateLimit: '"default";r=2;t=60', 'X-RateLimit-Remaining': '2' });
    expect(guard.count(call('read').context)).toBe(true);
    expect(guard.count(call('read').context)).toBe(true);
    expect(() => guard.count(call('read').context)).toThrow(QuotaExceeded);
  });

  it('leaves an unthrottled route alone', async () => {
    const guard = await newGuard();
    const { context, headers } = call('health');
    expect(guard.count(context)).toBe(true);
    expect(headers).toEqual({});
    for (let i = 0; i < 5; i++) await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers).toEqual({});
  });

  it('resolves a route override given as a function on every request, not once per route', async () => {
    const guard = await newGuard();
    perRequestLimit = 1;
    await guard.canActivate(call('overridden').context);
    await refusal(guard, 'overridden');
    perRequestLimit = 10;
    const { context, headers } = call('overridden');
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers['RateLimit-Policy']).toBe('"default";q=10;w=60');
  });

  it('refuses a limit that is not a number, as the library does', async () => {
    const guard = await newGuard();
    await expect(guard.canActivate(call('misconfigured').context)).rejects.toThrow('Invalid "limit" for the "default" throttler');
  });
});
