// Several workers over one database (API guide: Webhooks): two API instances, each with
// several delivery loops, race over the same outbox and message tables; every
// attempt is sent exactly once. And graceful shutdown: an instance stopping
// mid-attempt finishes and records it first.
import { OutboxWriter } from '../src/platform/outbox/outbox-writer';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, WebhookReceiver } from './helpers/webhook-receiver';

const ENV = {
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms',
  WEBHOOK_POLL_INTERVAL_MS: '10',
  WEBHOOK_TIMEOUT_MS: '5000',
};
const EVENTS = 300;

describe('Webhook workers', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(() => receiver.close());

  it('two instances with several loops each deliver every attempt exactly once', async () => {
    const first = await startTestApp({ env: { ...ENV, WEBHOOK_WORKERS: '3' } });
    const second = await startTestApp({ database: first.database, env: { ...ENV, WEBHOOK_WORKERS: '3' } });
    try {
      const org = await createOrgWithKey(first);
      const endpoints = [];
      for (const path of ['/one', '/two']) {
        const res = await first.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(path), events: ['*'] }).expect(201);
        endpoints.push(res.body);
      }
      receiver.secrets = endpoints.map((e) => e.secret);
      // Some first attempts fail, so retries race too.
      receiver.respond = (d) => (d.index % 7 === 0 && receiver.byId(d.webhookId).length === 1 ? { status: 500 } : { status: 204 });

      const outbox = first.app.get(OutboxWriter);
      await first.db.withTransaction(async () => {
        for (let i = 0; i < EVENTS; i++) await outbox.record(org.orgId, 'release.updated', { n: i });
      });

      const expectedMessages = EVENTS * endpoints.length;
      await eventually(
        async () => (await first.prisma.webhookMessage.count({ where: { orgId: org.orgId, status: 'delivered' } })) === expectedMessages,
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));

      const messages = await first.prisma.webhookMessage.findMany({ where: { orgId: org.orgId }, include: { attempts: true } });
      expect(messages).toHaveLength(expectedMessages);
      // One message per (event, endpoint).
      expect(new Set(messages.map((m) => `${m.eventId}|${m.endpointId}`)).size).toBe(expectedMessages);

      // Every attempt the receiver saw is recorded once, and vice versa.
      const attempts = messages.flatMap((m) => m.attempts);
      expect(receiver.deliveries).toHaveLength(attempts.length);
      const seenPerMessage = new Map<string, number>();
      for (const d of receiver.deliveries) seenPerMessage.set(d.webhookId, (seenPerMessage.get(d.webhookId) ?? 0) + 1);
      for (const m of messages) {
        expect(seenPerMessage.get(m.id)).toBe(m.attemptCount);
        expect(m.attempts.map((a) => a.attemptNumber).sort()).toEqual(Array.from({ length: m.attemptCount }, (_, i) => i + 1));
      }
      // Each delivery verifies with its endpoint's secret, and only that one.
      for (const d of receiver.deliveries) expect(d.verifiedWith).toEqual([d.path === '/one' ? 0 : 1]);
      // Every event was fanned out once and marked.
      expect(await first.prisma.outboxEvent.count({ where: { orgId: org.orgId, dispatchedAt: null } })).toBe(0);
      expect(attempts.length).toBeGreaterThan(expectedMessages);
    } finally {
      await second.close();
      await first.close();
    }
  }, 60_000);

  it('finishes and records the attempt in flight when an instance shuts down', async () => {
    const api = await startTestApp({ env: { ...ENV, WEBHOOK_WORKERS: '0' } });
    const worker = await startTestApp({ database: api.database, env: { ...ENV, WEBHOOK_WORKERS: '1' } });
    try {
      const org = await createOrgWithKey(api);
      const endpoint = await api.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(), events: ['*'] }).expect(201);
      receiver.respond = () => ({ status: 200, body: 'slow but fine', delayMs: 600 });
      await api.http.post(`/v1/webhook-endpoints/${endpoint.body.id}/test`).set('X-API-Key', org.key).expect(202);
      const [delivery] = await receiver.waitForCount(1);

      const closing = Date.now();
      await worker.close();
      expect(Date.now() - closing).toBeGreaterThanOrEqual(300);
      const message = await api.prisma.webhookMessage.findUniqueOrThrow({ where: { id: delivery.webhookId }, include: { attempts: true } });
      expect(message).toMatchObject({ status: 'delivered', attemptCount: 1, lockedUntil: null });
      expect(message.attempts).toEqual([expect.objectContaining({ attemptNumber: 1, statusCode: 200, responseBodyExcerpt: 'slow but fine' })]);
    } finally {
      await api.close();
    }
  });

  // Issue 14.3: an organization whose endpoints never answer (each attempt
  // waits the whole timeout) used to fill every delivery slot, so another
  // organization's webhooks waited for its timeouts; now it holds at most its
  // caps of slots and the other's deliveries go straight out.
  it('keeps a dead endpoint of one organization from delaying another organization’s deliveries', async () => {
    const TIMEOUT_MS = 2000;
    const PER_ENDPOINT = 10;
    const PER_ORG = 25;
    const env = {
      ...ENV,
      WEBHOOK_WORKERS: '1',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_SCHEDULE: '1h',
      WEBHOOK_ENDPOINT_CONCURRENCY: String(PER_ENDPOINT),
      WEBHOOK_ORG_CONCURRENCY: String(PER_ORG),
    };
    const app = await startTestApp({ env });
    // A second instance claiming from the same tables: the caps hold across workers.
    const other = await startTestApp({ database: app.database, env });
    try {
      const noisy = await createOrgWithKey(app);
      const quiet = await createOrgWithKey(app);
      const deadPaths = ['/dead-1', '/dead-2', '/dead-3'];
      for (const path of deadPaths) {
        await app.http.post('/v1/webhook-endpoints').set('X-API-Key', noisy.key).send({ url: receiver.url(path), events: ['*'] }).expect(201);
      }
      await app.http.post('/v1/webhook-endpoints').set('X-API-Key', quiet.key).send({ url: receiver.url('/fast'), events: ['*'] }).expect(201);
      // The dead receiver never answers: each attempt waits the whole delivery timeout.
      receiver.respond = (d) => (d.path === '/fast' ? { status: 204 } : { status: 204, hang: true });

      // 40 events for the noisy organization: 120 messages, all due before the quiet one's.
      const outbox = app.app.get(OutboxWriter);
      await app.db.withTransaction(async () => {
        for (let i = 0; i < 40; i++) await outbox.record(noisy.orgId, 'release.updated', { n: i });
      });
      const dead = () => receiver.deliveries.filter((d) => d.path !== '/fast');
      await receiver.waitFor(() => dead().length >= PER_ORG, 5000);

      const sentAt = Date.now();
      await app.db.withTransaction(async () => {
        for (let i = 0; i < 3; i++) await outbox.record(quiet.orgId, 'release.updated', { n: i });
      });
      await receiver.waitFor((all) => all.filter((d) => d.path === '/fast').length === 3, 10_000);
      const waited = Date.now() - sentAt;
      // Well within one timeout of the dead endpoints (it was several before).
      expect(waited).toBeLessThan(TIMEOUT_MS / 2);

      // While the quiet organization's webhooks went out, the noisy one held no more than its caps.
      const inFlightThen = dead().filter((d) => d.receivedAt <= sentAt + waited);
      expect(inFlightThen.length).toBe(PER_ORG);
      for (const path of deadPaths) expect(inFlightThen.filter((d) => d.path === path).length).toBeLessThanOrEqual(PER_ENDPOINT);
      // Round-robin across its endpoints: none was left out.
      for (const path of deadPaths) expect(inFlightThen.filter((d) => d.path === path).length).toBeGreaterThanOrEqual(5);
    } finally {
      await other.close();
      await app.close();
    }
  }, 30_000);
});
