import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Reflector } from '@nestjs/core';
import type { AuthAttemptLimiter } from '../throttling/auth-attempt-limiter';
import { Forbidden, Unauthenticated } from './auth-errors';
import { AuthGuard } from './auth.guard';
import type { CredentialAuthenticator } from './credential-authenticator';
import { Public } from './public.decorator';
import { PassportNames } from './passport-names';

// The checks the guard makes before any credential is looked at: where the
// credential may come from and in what shape. (The strategies themselves are
// proven end to end in test/auth-*.e2e-spec.ts.)
class Routes {
  guarded(): void {}

  @Public()
  open(): void {}
}

function context(handler: () => void, req: { query?: Record<string, unknown>; headers?: Record<string, string> }): ExecutionContext {
  // As Express has it: the query parsed from the URL's query string, which a URL without one lacks.
  const query = req.query ?? {};
  const names = Object.keys(query);
  const url = names.length ? `/things?${names.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(String(query[name]))}`).join('&')}` : '/things';
  const request = { headers: {}, ...req, query, url };
  return new ExecutionContextHost([request, {}], Routes, handler);
}

async function refusal(promise: boolean | Promise<unknown>): Promise<Unauthenticated> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Unauthenticated);
    return error as Unauthenticated;
  }
  throw new Error('expected the guard to refuse');
}

describe('AuthGuard (before the strategies)', () => {
  const guard = new AuthGuard(new Reflector(), new PassportNames(), {} as CredentialAuthenticator);
  const guarded = Routes.prototype.guarded;

  it('lets @Public() routes through with no credential, even with credential-like query parameters', async () => {
    expect(guard.canActivate(context(Routes.prototype.open, { query: { api_key: 'x' } }))).toBe(true);
  });

  it.each(['api_key', 'apikey', 'API-KEY', 'x-api-key', 'key', 'access_token', 'Access-Token', 'token', 'client_secret', 'authorization', 'jwt'])(
    'refuses the query parameter %s as credential_in_query, even next to a header credential',
    async (name) => {
      const error = await refusal(guard.canActivate(context(guarded, { query: { [name]: 'mpk_live_x' }, headers: { 'x-api-key': 'mpk_live_x' } })));
      expect(error.reason).toBe('credential_in_query');
      expect(error.message).not.toContain('mpk_live_x');
    },
  );

  it('answers 401 with a challenge naming both schemes', async () => {
    const error = await refusal(guard.canActivate(context(guarded, {})));
    expect(error.reason).toBe('credential_missing');
    expect(error.status).toBe(401);
    expect(error.options.headers?.['WWW-Authenticate']).toMatch(/^Bearer realm="musicpub", ApiKey realm="musicpub" header="X-API-Key"$/);
    expect(error.toProblem()).toMatchObject({ status: 401, reason: 'credential_missing' });
  });

  it('refuses two credentials at once', async () => {
    const error = await refusal(guard.canActivate(context(guarded, { headers: { 'x-api-key': 'a', authorization: 'Bearer b' } })));
    expect(error.reason).toBe('ambiguous_credentials');
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'Bearer a\u0000b', 'Bearer <script>'])(
    'refuses Authorization %p as authorization_malformed',
    async (value) => {
      const error = await refusal(guard.canActivate(context(guarded, { headers: { authorization: value } })));
      expect(error.reason).toBe('authorization_malformed');
    },
  );
});

describe('AuthGuard with an API key', () => {
  const principal = { orgId: 'org_1', keyId: 'key_1', credential: 'api_key' as const, scopes: [] };
  const attempts = () => {
    const recorded: string[] = [];
    return {
      recorded,
      limiter: {
        assertAttemptAllowed: () => undefined,
        recordFailedAttempt: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          recorded.push('failed');
        },
      } as unknown as AuthAttemptLimiter,
    };
  };
  const guardWith = (authenticateKey: CredentialAuthenticator['authenticateKey'], limiter?: AuthAttemptLimiter) =>
    new AuthGuard(new Reflector(), new PassportNames(), { authenticateKey } as CredentialAuthenticator, limiter);
  const withKey = () => context(Routes.prototype.guarded, { headers: { 'x-api-key': 'mpk_live_x' } });

  it('answers at once, with no promise, when the authenticator knows the key', () => {
    const ctx = withKey();
    expect(guardWith(() => principal).canActivate(ctx)).toBe(true);
    expect(ctx.switchToHttp().getRequest()).toMatchObject({ principal });
  });

  it('waits for an authenticator that has to look the key up', async () => {
    const ctx = withKey();
    const verdict = guardWith(async () => principal).canActivate(ctx);
    expect(verdict).toBeInstanceOf(Promise);
    await expect(verdict).resolves.toBe(true);
    expect(ctx.switchToHttp().getRequest()).toMatchObject({ principal });
  });

  const malformed = (): never => {
    throw new Unauthenticated('The API key is malformed.', 'key_malformed');
  };
  const unknown = async (): Promise<never> => {
    throw new Unauthenticated('The API key is not recognised.', 'key_unknown');
  };

  it.each([
    ['synchronously', malformed],
    ['after a lookup', unknown],
  ])('counts a key refused %s against the address before the 401 reaches the client', async (_when, authenticateKey) => {
    const { recorded, limiter } = attempts();
    const verdict = guardWith(authenticateKey, limiter).canActivate(withKey());
    await expect(verdict).rejects.toBeInstanceOf(Unauthenticated);
    expect(recorded).toEqual(['failed']);
  });

  it('does not count a refusal that is no authentication failure (a 403 for the address)', async () => {
    const { recorded, limiter } = attempts();
    const verdict = guardWith(() => {
      throw new Forbidden('This API key may not be used from your address.', { reason: 'ip_not_allowed' });
    }, limiter).canActivate(withKey());
    await expect(verdict).rejects.toBeInstanceOf(Forbidden);
    expect(recorded).toEqual([]);
  });
});
