// GET /metrics (issue 18 item 3): Prometheus text for a scraper holding
// METRICS_TOKEN, whose counters move with the traffic they describe —
// requests by route template and status, auth refusals by reason, throttled
// requests by policy, idempotency replays, the outbox backlog, delivery
// outcomes and the database pool — and whose labels never carry an id, a key
// or a path the client chose. (Without METRICS_TOKEN the route does not exist:
// test/owasp-api9-inventory.e2e-spec.ts expects its 404.)
import { randomBytes } from 'node:crypto';
import { DeliveryWorker } from '../src/modules/webhooks/delivery/delivery-worker';
import { OutboxDispatcher } from '../src/modules/webhooks/delivery/outbox-dispatcher';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { expectProblemJson } from './helpers/problem-json';
import { startTestApp, TestApp } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

const TOKEN = randomBytes(32).toString('hex');

/** `name{labels} value` → value, for the series whose labels include every given pair (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(match[3]);
      found = true;
    }
  }
  return found ? total : 0;
}

describe('GET /metrics', () => {
  let t: TestApp;
  let org: OrgWithKey;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      env: { METRICS_TOKEN: TOKEN, THROTTLE_AUTH: '3/60', WEBHOOK_WORKERS: '0', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true' },
    });
    org = await createOrgWithKey(t);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  async function scrape(): Promise<string> {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.text;
  }

  it('answers a scraper without the token with 401 problem+json, and nothing of the metrics', async () => {
    for (const auth of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const req = t.http.get('/metrics');
      const res = auth ? await req.set('Authorization', auth) : await req;
      const problem = expectProblemJson(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(problem.type).toMatch(/#unauthenticated$/);
      expect(res.text).not.toContain('musicpub_');
    }
    // The API's own credentials are not the scraper's.
    expectProblemJson(await t.http.get('/metrics').set('X-API-Key', org.key), 401);
    expectProblemJson(await t.http.get('/metrics').set('Authorization', `Bearer ${org.key}`), 401);
    // Only GET (and HEAD) is the route; nothing below it exists.
    expectProblemJson(await t.http.post('/metrics').set('Authorization', `Bearer ${TOKEN}`), 404);
    expectProblemJson(await t.http.get('/metrics/x').set('Authorization', `Bearer ${TOKEN}`), 404);
  });

  it('counts requests by method, route template and status, with durations, and never labels a path or id', async () => {
    const before = await scrape();
    const series = { method: 'GET', route: '/v1/releases', status: '200' };
    await t.http.get('/v1/releases').set('X-API-Key', org.key).expect(200);
    await t.http.get('/v1/releases').set('X-API-Key', org.key).expect(200);
    await t.http.get('/v1/releases/rel_01JF3Z00000000000000000000').set('X-API-Key', org.key).expect(404);
    await t.http.get('/v1/no/such/route/secret-looking-path').set('X-API-Key', org.key).expect(404);
    const after = await scrape();

    expect(sample(after, 'musicpub_http_requests_total', series) - sample(before, 'musicpub_http_requests_total', series)).toBe(2);
    expect(sample(after, 'musicpub_http_request_duration_seconds_count', series) - sample(before, 'musicpub_http_request_duration_seconds_count', series)).toBe(2);
    expect(sample(after, 'musicpub_http_request_duration_seconds_sum', series)).toBeGreaterThan(0);
    const moved = (labels: Record<string, string>) => sample(after, 'musicpub_http_requests_total', labels) - sample(before, 'musicpub_http_requests_total', labels);
    expect(moved({ method: 'GET', route: '/v1/releases/:id', status: '404' })).toBe(1);
    expect(moved({ method: 'GET', route: '(unmatched)', status: '404' })).toBe(1);
    // The scrapes themselves are counted under their own route.
    expect(sample(after, 'musicpub_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);

    for (const leak of ['rel_01JF3Z', 'secret-looking-path', org.key, org.keyId, org.orgId, TOKEN]) expect(after).not.toContain(leak);
  });

  it('counts idempotent replays', async () => {
    const before = sample(await scrape(), 'musicpub_idempotency_replays_total');
    const key = `metrics-${randomBytes(8).toString('hex')}`;
    const body = { title: 'Counted once', artists: ['The Scrapers'] };
    await t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', key).send(body).expect(201);
    const replay = await t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', key).send(body).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    // A first use of another key is no replay.
    await t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', `${key}-2`).send(body).expect(201);
    expect(sample(await scrape(), 'musicpub_idempotency_replays_total') - before).toBe(1);
  });

  it('reports the outbox backlog, the messages waiting and the delivery outcomes as the work moves', async () => {
    receiver.secrets = [];
    const endpoint = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(), events: ['release.created'] }).expect(201);
    receiver.secrets = [endpoint.body.secret];
    // Nothing dispatches (WEBHOOK_WORKERS=0) until the test says so.
    const dispatcher = t.app.get(OutboxDispatcher);
    while ((await dispatcher.dispatchBatch()) > 0);
    const before = await scrape();
    expect(sample(before, 'musicpub_outbox_backlog')).toBe(0);

    await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'Backlogged', artists: ['The Queue'] }).expect(201);
    const queued = await scrape();
    expect(sample(queued, 'musicpub_outbox_backlog')).toBe(1);

    await dispatcher.dispatchBatch();
    const dispatched = await scrape();
    expect(sample(dispatched, 'musicpub_outbox_backlog')).toBe(0);
    expect(sample(dispatched, 'musicpub_webhook_messages_backlog', { status: 'pending' })).toBe(1);

    await t.app.get(DeliveryWorker).deliverBatch();
    expect(receiver.deliveries.length).toBe(1);
    const delivered = await scrape();
    expect(sample(delivered, 'musicpub_webhook_messages_backlog', { status: 'pending' })).toBe(0);
    expect(sample(delivered, 'musicpub_webhook_deliveries_total', { outcome: 'delivered' }) - sample(before, 'musicpub_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
  });

  it('reports the database pool of this process', async () => {
    const text = await scrape();
    expect(sample(text, 'musicpub_db_pool_max_connections')).toBe(5);
    expect(sample(text, 'musicpub_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'musicpub_db_pool_connections', { state: 'total' })).toBeLessThanOrEqual(5);
    expect(text).toMatch(/^musicpub_db_pool_connections\{state="waiting"\} \d+$/m);
    expect(text).toMatch(/^musicpub_process_resident_memory_bytes \d+/m);
  });

  // Last: it spends this address's `auth` budget (3 failures a minute).
  it('counts auth refusals by reason and throttled requests by policy', async () => {
    const before = await scrape();
    const badKey = `mpk_live_${'A'.repeat(40)}`;
    expectProblemJson(await t.http.get('/v1/releases').set('X-API-Key', 'nonsense'), 401);
    expectProblemJson(await t.http.get('/v1/releases'), 401);
    const readOnly = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).send({ name: 'reader', scopes: ['releases:read'] }).expect(201);
    expectProblemJson(await t.http.get('/v1/api-keys').set('X-API-Key', readOnly.body.key), 403);
    expectProblemJson(await t.http.get('/v1/releases').set('X-API-Key', badKey), 401);
    const throttled = await t.http.get('/v1/releases').set('X-API-Key', badKey);
    expectProblemJson(throttled, 429);
    const after = await scrape();

    const moved = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('musicpub_auth_refusals_total', { reason: 'key_malformed' })).toBe(2);
    expect(moved('musicpub_auth_refusals_total', { reason: 'credential_missing' })).toBe(1);
    expect(moved('musicpub_auth_refusals_total', { reason: 'insufficient_scope' })).toBe(1);
    expect(moved('musicpub_throttled_requests_total', { policy: 'auth' })).toBe(1);
    expect(moved('musicpub_http_requests_total', { method: 'GET', route: '/v1/releases', status: '429' })).toBe(1);
  });
});
