// Several workers over one database (API.md §5): two API instances, each with
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
});
