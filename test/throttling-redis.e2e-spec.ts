// Rate limits with REDIS_URL (API guide: Rate limits): counters shared by instances, and
// what happens when Redis does not answer. Needs Redis at 127.0.0.1:6379; every
// key this file makes lives under its own random prefix (ioredis `keyPrefix`
// in REDIS_URL's query), so parallel runs never share a counter.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { addressAllocator, expectQuotaExceeded, rateLimitOf } from './throttling.helpers';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const PREFIX = `musicpub-test:${randomBytes(6).toString('hex')}:`;
const nextIp = addressAllocator();

/** Until this instance's Redis client answers (boot waits for it only briefly), so no test starts on the local fallback. */
async function untilRedisReady(t: TestApp): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const ready = await t.http.get('/health/ready');
    if (ready.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('Redis at 127.0.0.1:6379 did not become ready');
}

describe('Rate limits in Redis, shared by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const env = {
    REDIS_URL: `${REDIS}?keyPrefix=${PREFIX}`,
    THROTTLE_DEFAULT: '6/60',
    THROTTLE_UPLOADS: '100000/60',
    THROTTLE_AUTH: '4/60',
    TRUSTED_PROXIES: 'loopback',
    // A loaded CI machine can stall a process past the 150 ms default, which would
    // (correctly) fall back to per-instance counting and make shared counts flaky.
    REDIS_COMMAND_TIMEOUT_MS: '3000',
  };

  beforeAll(async () => {
    a = await startTestApp({ env });
    b = await startTestApp({ env, database: a.database });
    await untilRedisReady(a);
    await untilRedisReady(b);
    redis = new Redis(REDIS);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (redis) {
      const keys = await redis.keys(`${PREFIX}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const listKeys = (t: TestApp, key: string, ip = nextIp()) => t.http.get('/v1/api-keys').set('X-API-Key', key).set('X-Forwarded-For', ip);
  const requestToken = (t: TestApp, creds: { keyId: string; key: string }, ip: string) =>
    t.http.post('/v1/oauth/token').set('X-Forwarded-For', ip).type('form').send({ grant_type: 'client_credentials', client_id: creds.keyId, client_secret: creds.key });

  it('spends one budget per key whichever instance serves the request', async () => {
    const { key } = await createOrgWithKey(a);
    const remaining: number[] = [];
    for (const t of [a, b, a, b, a, b]) remaining.push(rateLimitOf(await listKeys(t, key).expect(200)).default.r);
    expect(remaining).toEqual([5, 4, 3, 2, 1, 0]);
    expectQuotaExceeded(await listKeys(a, key), ['default']);
    expectQuotaExceeded(await listKeys(b, key), ['default']);
  });

  it('keeps the counter in Redis, per policy and key, expiring with its window', async () => {
    const { keyId, key } = await createOrgWithKey(a);
    await listKeys(b, key).expect(200);
    await listKeys(a, key).expect(200);
    const counter = `${PREFIX}musicpub:ratelimit:default:key:${keyId}`;
    expect(await redis.get(counter)).toBe('2');
    const ttl = await redis.pttl(counter);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('lets exactly the quota through when requests race on both instances', async () => {
    const { key } = await createOrgWithKey(a);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => listKeys(i % 2 ? a : b, key)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(14);
  });

  it('shares an address’s auth budget across instances (token endpoint and failed authentications)', async () => {
    const creds = await createOrgWithKey(a);
    const ip = nextIp();
    await requestToken(a, creds, ip).expect(200);
    await requestToken(b, creds, ip).expect(200);
    await listKeys(a, 'mpk_test_wrong', ip).expect(401);
    const last = await listKeys(b, 'mpk_test_wrong', ip).expect(401);
    expect(rateLimitOf(last).auth.r).toBe(0);
    expectQuotaExceeded(await requestToken(a, creds, ip), ['auth']);
    expectQuotaExceeded(await listKeys(b, creds.key, ip), ['auth']);
    await requestToken(b, creds, nextIp()).expect(200);
  });

  it('reports Redis in readiness', async () => {
    const ready = await a.http.get('/health/ready').expect(200);
    expect(ready.body.info.redis.status).toBe('up');
    expect(ready.body.info.database.status).toBe('up');
  });
});

describe('Rate-limit windows in Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      // A 3 s window: short enough to wait out, long enough that three requests fit in it on a busy machine.
      env: { REDIS_URL: `${REDIS}?keyPrefix=${PREFIX}w:`, THROTTLE_DEFAULT: '2/3', TRUSTED_PROXIES: 'loopback' },
    });
    await untilRedisReady(t);
  });
  afterAll(() => t.close());

  it('admits the client again once Retry-After has passed, not before the window ends', async () => {
    const { key } = await createOrgWithKey(t);
    const list = () => t.http.get('/v1/api-keys').set('X-API-Key', key);
    await list().expect(200);
    await list().expect(200);
    const refused = await list();
    const retryAfter = expectQuotaExceeded(refused, ['default']);
    expect(retryAfter).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    const again = await list().expect(200);
    expect(rateLimitOf(again).default.r).toBe(1);
  });
});
