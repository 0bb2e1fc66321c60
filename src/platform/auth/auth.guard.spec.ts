import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Reflector } from '@nestjs/core';
import { Unauthenticated } from './auth-errors';
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
