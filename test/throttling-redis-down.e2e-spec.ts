// Rate limits when REDIS_URL is set but Redis does not answer (API guide: Rate limits):
// the API keeps serving, fast, on per-instance counters, and is not ready.
// Its own file: pino's HTTP logger is per module registry, so this app's log
// lines (the outage warning) land in this app's `logs`.
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { addressAllocator, expectQuotaExceeded, rateLimitOf } from './throttling.helpers';

const nextIp = addressAllocator();

describe('Rate limits when Redis is unavailable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      // Nothing listens on port 1: every connection is refused.
      env: { REDIS_URL: 'redis://127.0.0.1:1', THROTTLE_DEFAULT: '3/60', THROTTLE_AUTH: '2/60', TRUSTED_PROXIES: 'loopback' },
    });
  });
  afterAll(() => t.close());

  const timed = async <T>(request: PromiseLike<T>): Promise<T> => {
    const started = Date.now();
    const res = await request;
    expect(Date.now() - started).toBeLessThan(1000);
    return res;
  };

  it('keeps serving, fast, and keeps enforcing limits per instance (fail open to local counters)', async () => {
    const { key } = await createOrgWithKey(t);
    // Untimed, with another key (its own budget): the app's first request on
    // the route also plans its queries, which on a suite's loaded machine
    // alone has taken over a second. What is timed below is Redis's share.
    await t.http.get('/v1/api-keys').set('X-API-Key', (await createOrgWithKey(t)).key).expect(200);
    for (let i = 2; i >= 0; i--) {
      const ok = await timed(t.http.get('/v1/api-keys').set('X-API-Key', key));
      expect(ok.status).toBe(200);
      expect(rateLimitOf(ok).default.r).toBe(i);
    }
    expectQuotaExceeded(await timed(t.http.get('/v1/api-keys').set('X-API-Key', key)), ['default']);
    const warnings = t.logs.filter((line) => /Redis is unavailable for rate limiting/.test(String(line.msg)));
    expect(warnings).toHaveLength(1);
  });

  it('keeps the auth budget per instance too', async () => {
    const creds = await createOrgWithKey(t);
    const ip = nextIp();
    await timed(t.http.get('/v1/api-keys').set('X-API-Key', 'mpk_test_wrong').set('X-Forwarded-For', ip));
    await timed(t.http.get('/v1/api-keys').set('X-API-Key', 'mpk_test_wrong').set('X-Forwarded-For', ip));
    expectQuotaExceeded(await timed(t.http.get('/v1/api-keys').set('X-API-Key', creds.key).set('X-Forwarded-For', ip)), ['auth']);
    const token = await timed(
      t.http.post('/v1/oauth/token').set('X-Forwarded-For', nextIp()).type('form').send({ grant_type: 'client_credentials', client_id: creds.keyId, client_secret: creds.key }),
    );
    expect(token.status).toBe(200);
  });

  it('reports not ready (503), quickly', async () => {
    const ready = await timed(t.http.get('/health/ready'));
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http.get('/health/live').expect(200);
  });
});
