// Rate limits (API guide: Rate limits) with in-memory counters: headers, 429s, trackers,
// and the `auth` budget shared by the token endpoint and failed authentications.
import type { Response } from 'supertest';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { addressAllocator, expectQuotaExceeded, rateLimitOf } from './throttling.helpers';

describe('Rate limits (in memory)', () => {
  let t: TestApp;
  const nextIp = addressAllocator();

  beforeAll(async () => {
    t = await startTestApp({
      env: { THROTTLE_DEFAULT: '5/60', THROTTLE_UPLOADS: '100000/60', THROTTLE_AUTH: '3/60', TRUSTED_PROXIES: 'loopback' },
    });
  });
  afterAll(() => t.close());

  const listKeys = (credential: { key?: string; token?: string }, ip = nextIp()) => {
    const req = t.http.get('/v1/api-keys').set('X-Forwarded-For', ip);
    if (credential.key) req.set('X-API-Key', credential.key);
    if (credential.token) req.set('Authorization', `Bearer ${credential.token}`);
    return req;
  };
  const requestToken = (creds: { keyId: string; key: string }, ip: string) =>
    t.http.post('/v1/oauth/token').set('X-Forwarded-For', ip).type('form').send({ grant_type: 'client_credentials', client_id: creds.keyId, client_secret: creds.key });

  describe('default policy, per API key', () => {
    it('reports the policy and what is left on a successful response', async () => {
      const { key } = await createOrgWithKey(t);
      const res = await listKeys({ key }).expect(200);
      expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
      const { r, t: reset } = rateLimitOf(res).default;
      expect(r).toBe(4);
      expect(reset).toBeGreaterThanOrEqual(59);
      expect(reset).toBeLessThanOrEqual(60);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe('4');
      expect(res.headers['x-ratelimit-reset']).toBe(String(reset));
    });

    it('answers the request after the quota with 429 problem+json, Retry-After and every field', async () => {
      const { key } = await createOrgWithKey(t);
      const firstSentAt = Date.now();
      for (let i = 1; i <= 5; i++) {
        const ok = await listKeys({ key }).expect(200);
        expect(rateLimitOf(ok).default.r).toBe(5 - i);
      }
      const refused = await listKeys({ key });
      const receivedAt = Date.now();
      const retryAfter = expectQuotaExceeded(refused, ['default']);
      expect(refused.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
      expect(rateLimitOf(refused).default).toEqual({ r: 0, t: retryAfter });
      expect(refused.headers['x-ratelimit-limit']).toBe('5');
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(refused.headers['x-ratelimit-reset']).toBe(String(retryAfter));
      // The window opened with the first request; a retry after Retry-After lands after its end.
      expect(receivedAt + retryAfter * 1000).toBeGreaterThanOrEqual(firstSentAt + 60_000);
      expect(refused.body.detail).toContain('"default"');
      // Still refused: a refusal does not end the window.
      expectQuotaExceeded(await listKeys({ key }), ['default']);
    });

    it('gives two keys of one organization separate budgets, and a token its key’s budget', async () => {
      const admin = await createOrgWithKey(t);
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).set('X-Forwarded-For', nextIp()).send({ name: 'second', scopes: ['keys:read'] }).expect(201);
      const second = { keyId: res.body.id as string, key: res.body.key as string };
      const adminToken = (await requestToken(admin, nextIp()).expect(200)).body.access_token as string;

      // admin: 1 used creating the second key, 2 with the key, 2 with its token → spent.
      await listKeys({ key: admin.key }).expect(200);
      await listKeys({ key: admin.key }).expect(200);
      await listKeys({ token: adminToken }).expect(200);
      const last = await listKeys({ token: adminToken }).expect(200);
      expect(rateLimitOf(last).default.r).toBe(0);
      expectQuotaExceeded(await listKeys({ key: admin.key }), ['default']);
      expectQuotaExceeded(await listKeys({ token: adminToken }), ['default']);

      // The other key of the same organization is untouched, and so are its tokens.
      const other = await listKeys({ key: second.key }).expect(200);
      expect(rateLimitOf(other).default.r).toBe(4);
      const secondToken = (await requestToken(second, nextIp()).expect(200)).body.access_token as string;
      expect(rateLimitOf(await listKeys({ token: secondToken }).expect(200)).default.r).toBe(3);
    });

    it('counts a key wherever it is used from', async () => {
      const { key } = await createOrgWithKey(t);
      for (let i = 0; i < 5; i++) await listKeys({ key }, nextIp()).expect(200);
      expectQuotaExceeded(await listKeys({ key }, nextIp()), ['default']);
    });

    it('counts anonymous requests to public routes per client address', async () => {
      const ip = nextIp();
      for (let i = 0; i < 5; i++) {
        const res = await t.http.get('/.well-known/jwks.json').set('X-Forwarded-For', ip).expect(200);
        expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
      }
      expectQuotaExceeded(await t.http.get('/.well-known/jwks.json').set('X-Forwarded-For', ip), ['default']);
      await t.http.get('/.well-known/jwks.json').set('X-Forwarded-For', nextIp()).expect(200);
    });

    it('leaves health probes and the API description unthrottled', async () => {
      const ip = nextIp();
      for (let i = 0; i < 8; i++) {
        const live = await t.http.get('/health/live').set('X-Forwarded-For', ip).expect(200);
        expect(live.headers['ratelimit']).toBeUndefined();
        expect(live.headers['ratelimit-policy']).toBeUndefined();
      }
      const ready = await t.http.get('/health/ready').set('X-Forwarded-For', ip).expect(200);
      expect(ready.headers['ratelimit']).toBeUndefined();
      expect(ready.body.info.redis).toBeUndefined(); // not configured here
      const openapi = await t.http.get('/openapi.json').set('X-Forwarded-For', ip).expect(200);
      expect(openapi.headers['ratelimit']).toBeUndefined();
    });
  });

  describe('auth policy, per client address', () => {
    it('counts every token request against the address and refuses the next one with 429', async () => {
      const creds = await createOrgWithKey(t);
      const ip = nextIp();
      for (let i = 1; i <= 3; i++) {
        const ok = await requestToken(creds, ip).expect(200);
        expect(ok.headers['ratelimit-policy']).toBe('"auth";q=3;w=60');
        expect(rateLimitOf(ok).auth.r).toBe(3 - i);
        expect(ok.headers['x-ratelimit-remaining']).toBe(String(3 - i));
      }
      const refused = await requestToken(creds, ip);
      expectQuotaExceeded(refused, ['auth']);
      expect(refused.body.access_token).toBeUndefined();
      // Another address still gets tokens with the same credentials.
      await requestToken(creds, nextIp()).expect(200);
    });

    it('does not let the token endpoint spend the key’s default budget', async () => {
      const creds = await createOrgWithKey(t);
      const ok = await requestToken(creds, nextIp()).expect(200);
      expect(ok.headers['ratelimit-policy']).not.toContain('default');
      expect(rateLimitOf(await listKeys({ key: creds.key }).expect(200)).default.r).toBe(4);
    });

    it('counts failed client authentication at the token endpoint too', async () => {
      const creds = await createOrgWithKey(t);
      const ip = nextIp();
      for (let i = 0; i < 3; i++) {
        const failed = await requestToken({ keyId: creds.keyId, key: `${creds.key.slice(0, -1)}${creds.key.endsWith('A') ? 'B' : 'A'}` }, ip).expect(401);
        expect(failed.body.error).toBe('invalid_client');
      }
      expectQuotaExceeded(await requestToken(creds, ip), ['auth']);
    });

    it('counts each failed authentication, then refuses the address with 429 even with a valid key', async () => {
      const creds = await createOrgWithKey(t);
      const ip = nextIp();
      const wrongKey = `${creds.key.slice(0, -1)}${creds.key.endsWith('A') ? 'B' : 'A'}`;
      const failures: Response[] = [
        await listKeys({ key: wrongKey }, ip),
        await listKeys({ token: 'not.a.jwt' }, ip),
        await t.http.get('/v1/api-keys').set('X-Forwarded-For', ip),
      ];
      failures.forEach((failed, i) => {
        expect(failed.status).toBe(401);
        expect(failed.headers['www-authenticate']).toBeDefined();
        expect(failed.headers['ratelimit-policy']).toBe('"auth";q=3;w=60');
        expect(rateLimitOf(failed).auth.r).toBe(2 - i);
      });

      // The budget gates attempts, not just failures: a valid key from this address is refused too…
      const refused = await listKeys({ key: creds.key }, ip);
      expectQuotaExceeded(refused, ['auth']);
      expect(refused.headers['www-authenticate']).toBeUndefined();
      // …and so is the token endpoint, which shares the budget.
      expectQuotaExceeded(await requestToken(creds, ip), ['auth']);
      // Other addresses are unaffected, and the key's own budget was not spent by the refusals.
      const elsewhere = await listKeys({ key: creds.key }, nextIp()).expect(200);
      expect(rateLimitOf(elsewhere).default.r).toBe(4);
    });

    it('does not count successful authentications', async () => {
      const creds = await createOrgWithKey(t);
      const ip = nextIp();
      for (let i = 0; i < 4; i++) await listKeys({ key: creds.key }, ip).expect(200);
      const failed = await listKeys({ key: 'mpk_test_wrong' }, ip).expect(401);
      expect(rateLimitOf(failed).auth.r).toBe(2);
    });

    it('does not count a valid credential that lacks a scope as a failed authentication', async () => {
      const creds = await createOrgWithKey(t, ['releases:read']);
      const ip = nextIp();
      for (let i = 0; i < 4; i++) await listKeys({ key: creds.key }, ip).expect(403);
      await listKeys({ key: 'mpk_test_wrong' }, ip).expect(401);
    });
  });
});
