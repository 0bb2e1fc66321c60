// Delivery behaviour (API guide: Webhooks): the transactional outbox, Standard Webhooks
// signing verified by the reference package, retries with backoff, failure
// after the last attempt, 410 and 3xx handling, Retry-After, timeouts, the
// 5-day rule and lease expiry after a crashed worker.
import { OutboxWriter } from '../src/platform/outbox/outbox-writer';
import { newId } from '../src/platform/ids';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, WebhookReceiver } from './helpers/webhook-receiver';

const ENV = {
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '700',
};

describe('Webhook delivery', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let org: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp({ env: ENV });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });
  beforeEach(async () => {
    org = await createOrgWithKey(t);
    receiver.deliveries.length = 0;
    receiver.respond = () => ({ status: 204 });
  });

  async function createEndpoint(body: object = {}): Promise<{ id: string; secret: string }> {
    const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(), events: ['*'], ...body });
    expect(res.status).toBe(201);
    receiver.secrets = [res.body.secret];
    return res.body;
  }

  async function createRelease(title = 'Kind of Blue'): Promise<string> {
    const res = await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title, artists: ['Miles Davis'] });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const attemptsOf = (messageId: string) => t.prisma.webhookAttempt.findMany({ where: { messageId }, orderBy: { attemptNumber: 'asc' } });
  const messageOf = (messageId: string) => t.prisma.webhookMessage.findUniqueOrThrow({ where: { id: messageId } });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('delivers a committed change as a Standard Webhooks request the reference library verifies', async () => {
    const endpoint = await createEndpoint({ events: ['release.created'] });
    const before = Math.floor(Date.now() / 1000);
    const releaseId = await createRelease();
    const [delivery] = await receiver.waitForCount(1);

    expect(delivery.verifiedWith).toEqual([0]);
    expect(delivery.webhookId).toMatch(/^msg_[0-9A-Z]{26}$/);
    expect(Number(delivery.webhookTimestamp)).toBeGreaterThanOrEqual(before - 1);
    expect(Number(delivery.webhookTimestamp)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(delivery.webhookSignature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.json).toEqual({ type: 'release.created', timestamp: expect.any(String), data: { release: expect.objectContaining({ id: releaseId, status: 'draft' }) } });
    expect(Object.keys(delivery.json)).toEqual(['type', 'timestamp', 'data']);
    const event = await t.prisma.outboxEvent.findFirstOrThrow({ where: { orgId: org.orgId, type: 'release.created' } });
    expect(event.dispatchedAt).not.toBeNull();
    await eventually(async () => (await messageOf(delivery.webhookId)).status === 'delivered');
    expect(await messageOf(delivery.webhookId)).toMatchObject({ endpointId: endpoint.id, eventId: event.id, status: 'delivered', attemptCount: 1 });
  });

  it('sends only subscribed event types', async () => {
    await createEndpoint({ events: ['release.deleted'] });
    const releaseId = await createRelease();
    await t.http.delete(`/v1/releases/${releaseId}`).set('X-API-Key', org.key).expect(204);
    const [delivery] = await receiver.waitForCount(1);
    expect(delivery.json.type).toBe('release.deleted');
    await sleep(150);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('never sends an event whose transaction rolled back, though the row had been written', async () => {
    await createEndpoint();
    const outbox = t.app.get(OutboxWriter);
    let rolledBackId = '';
    await expect(
      t.db.withTransaction(async () => {
        rolledBackId = await outbox.record(org.orgId, 'release.updated', { marker: 'rolled back' });
        expect(await t.db.tx.outboxEvent.count({ where: { id: rolledBackId } })).toBe(1);
        throw new Error('the change failed after its event was written');
      }),
    ).rejects.toThrow('the change failed');
    expect(await t.prisma.outboxEvent.count({ where: { id: rolledBackId } })).toBe(0);

    // A committed sentinel goes through; the rolled-back event never does.
    await t.db.withTransaction(() => outbox.record(org.orgId, 'release.updated', { marker: 'committed' }));
    await receiver.waitFor((d) => d.some((x) => x.json?.data?.marker === 'committed'));
    await sleep(150);
    expect(receiver.deliveries.map((d) => d.json.data.marker)).toEqual(['committed']);
    expect(await t.prisma.webhookMessage.count({ where: { eventId: rolledBackId } })).toBe(0);
  });

  it('retries a failing receiver with backoff, same webhook-id and body, fresh signatures', async () => {
    await createEndpoint();
    receiver.respond = (d) => (d.index < 2 ? { status: 500, body: 'boom' } : { status: 200 });
    await createRelease();
    const deliveries = await receiver.waitForCount(3);
    expect(new Set(deliveries.map((d) => d.webhookId)).size).toBe(1);
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    expect(deliveries.every((d) => d.verifiedWith.length === 1)).toBe(true);
    // 100 ms then 200 ms, ±20 % jitter.
    expect(deliveries[1].receivedAt - deliveries[0].receivedAt).toBeGreaterThanOrEqual(75);
    expect(deliveries[2].receivedAt - deliveries[1].receivedAt).toBeGreaterThanOrEqual(155);

    const id = deliveries[0].webhookId;
    await eventually(async () => (await messageOf(id)).status === 'delivered');
    const attempts = await attemptsOf(id);
    expect(attempts.map((a) => [a.attemptNumber, a.statusCode, a.responseBodyExcerpt])).toEqual([
      [1, 500, 'boom'],
      [2, 500, 'boom'],
      [3, 200, null],
    ]);
    expect(attempts.every((a) => a.durationMs >= 0 && a.error === null)).toBe(true);
  });

  it('marks a message failed after the last scheduled attempt and stops', async () => {
    const endpoint = await createEndpoint();
    receiver.respond = () => ({ status: 503, body: 'x'.repeat(5000) });
    await createRelease();
    const deliveries = await receiver.waitForCount(4);
    const id = deliveries[0].webhookId;
    await eventually(async () => (await messageOf(id)).status === 'failed');
    await sleep(400);
    expect(receiver.deliveries).toHaveLength(4);
    const attempts = await attemptsOf(id);
    expect(attempts.map((a) => a.statusCode)).toEqual([503, 503, 503, 503]);
    // ≤ 1 KiB of the body is kept.
    expect(attempts.every((a) => Buffer.byteLength(a.responseBodyExcerpt ?? '') === 1024)).toBe(true);
    const message = await messageOf(id);
    expect(message).toMatchObject({ attemptCount: 4, nextAttemptAt: null, lockedUntil: null });
    // One bad run does not disable the endpoint (that takes 5 days).
    const row = await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.enabled).toBe(true);
    expect(row.failingSince).not.toBeNull();
  });

  it('disables the endpoint at once on 410 Gone; a disabled endpoint receives nothing until re-enabled', async () => {
    const endpoint = await createEndpoint();
    receiver.respond = () => ({ status: 410 });
    await createRelease('first');
    const [gone] = await receiver.waitForCount(1);
    await eventually(async () => (await messageOf(gone.webhookId)).status === 'failed');
    const shown = await t.http.get(`/v1/webhook-endpoints/${endpoint.id}`).set('X-API-Key', org.key).expect(200);
    expect(shown.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect((await attemptsOf(gone.webhookId))[0]).toMatchObject({ statusCode: 410, error: expect.stringContaining('410') });

    receiver.respond = () => ({ status: 204 });
    await createRelease('while disabled');
    await sleep(200);
    expect(receiver.deliveries).toHaveLength(1);
    expect(await t.prisma.webhookMessage.count({ where: { endpointId: endpoint.id } })).toBe(1);

    const enabled = await t.http.patch(`/v1/webhook-endpoints/${endpoint.id}`).set('X-API-Key', org.key).send({ enabled: true }).expect(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
    await createRelease('after re-enabling');
    const [, next] = await receiver.waitForCount(2);
    expect(next.json.data.release.title).toBe('after re-enabling');
  });

  it('never follows a redirect: a 3xx is a failed attempt and the Location is not requested', async () => {
    const elsewhere = await WebhookReceiver.start();
    try {
      await createEndpoint();
      receiver.respond = (d) => (d.index === 0 ? { status: 302, headers: { Location: elsewhere.url('/stolen') } } : { status: 204 });
      await createRelease();
      const [redirected, retried] = await receiver.waitForCount(2);
      expect(retried.webhookId).toBe(redirected.webhookId);
      await eventually(async () => (await messageOf(redirected.webhookId)).status === 'delivered');
      const attempts = await attemptsOf(redirected.webhookId);
      expect(attempts[0]).toMatchObject({ statusCode: 302, error: expect.stringContaining('redirect not followed') });
      expect(elsewhere.deliveries).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it('honours Retry-After on 429', async () => {
    await createEndpoint();
    receiver.respond = (d) => (d.index === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 204 });
    await createRelease();
    const [first, second] = await receiver.waitForCount(2, 5000);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('gives up on a receiver slower than WEBHOOK_TIMEOUT_MS and retries', async () => {
    await createEndpoint();
    receiver.respond = (d) => (d.index === 0 ? { status: 200, delayMs: 1500 } : { status: 200 });
    await createRelease();
    const [first] = await receiver.waitForCount(2, 5000);
    await eventually(async () => (await messageOf(first.webhookId)).status === 'delivered');
    const attempts = await attemptsOf(first.webhookId);
    expect(attempts[0]).toMatchObject({ statusCode: null, error: 'timed out after 700 ms' });
    expect(attempts[0].durationMs).toBeGreaterThanOrEqual(650);
    expect(attempts[0].durationMs).toBeLessThan(1400);
    expect(attempts[1]).toMatchObject({ statusCode: 200, error: null });
  });

  it('records transport errors (nothing listening) as failed attempts', async () => {
    const closed = await WebhookReceiver.start();
    const url = closed.url();
    await closed.close();
    await createEndpoint({ url });
    await createRelease();
    const message = (await eventually(() => t.prisma.webhookMessage.findFirst({ where: { orgId: org.orgId } })))!;
    const attempts = (await eventually(async () => {
      const rows = await attemptsOf(message.id);
      return rows.length > 0 ? rows : undefined;
    }))!;
    expect(attempts[0]).toMatchObject({ statusCode: null, error: 'connection refused' });
  });

  it('disables an endpoint whose attempts have all failed for 5 days, and a success resets the clock', async () => {
    const failing = await createEndpoint();
    await t.prisma.webhookEndpoint.update({ where: { id: failing.id }, data: { failingSince: new Date(Date.now() - 5 * 86400_000 - 60_000) } });
    receiver.respond = () => ({ status: 500 });
    await createRelease();
    await eventually(async () => !(await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: failing.id } })).enabled);
    const shown = await t.http.get(`/v1/webhook-endpoints/${failing.id}`).set('X-API-Key', org.key).expect(200);
    expect(shown.body).toMatchObject({ enabled: false, disabledReason: 'failing' });

    // Failing for four days only: still enabled, and a success clears the run.
    await t.http.patch(`/v1/webhook-endpoints/${failing.id}`).set('X-API-Key', org.key).send({ enabled: false }).expect(200);
    const recovering = await createEndpoint();
    await t.prisma.webhookEndpoint.update({ where: { id: recovering.id }, data: { failingSince: new Date(Date.now() - 4 * 86400_000) } });
    receiver.deliveries.length = 0;
    receiver.respond = (d) => (d.index === 0 ? { status: 500 } : { status: 204 });
    await createRelease();
    await receiver.waitForCount(2);
    await eventually(async () => (await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: recovering.id } })).failingSince === null);
    expect((await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: recovering.id } })).enabled).toBe(true);
  });

  it("takes over a message whose worker died (expired lease), and leaves a live lease alone", async () => {
    const endpoint = await createEndpoint();
    const past = new Date(Date.now() - 60_000);
    const future = new Date(Date.now() + 60_000);
    const body = JSON.stringify({ type: 'release.updated', timestamp: new Date().toISOString(), data: { orphan: true } });
    const [orphan, held] = [newId('msg'), newId('msg')];
    await t.prisma.webhookMessage.createMany({
      data: [
        { id: orphan, orgId: org.orgId, endpointId: endpoint.id, eventId: newId('evt'), eventType: 'release.updated', body, status: 'delivering', attemptCount: 1, lockedUntil: past, nextAttemptAt: past },
        { id: held, orgId: org.orgId, endpointId: endpoint.id, eventId: newId('evt'), eventType: 'release.updated', body, status: 'delivering', attemptCount: 1, lockedUntil: future, nextAttemptAt: past },
      ],
    });
    const [delivery] = await receiver.waitForCount(1);
    expect(delivery.webhookId).toBe(orphan);
    expect(delivery.verifiedWith).toEqual([0]);
    await eventually(async () => (await messageOf(orphan)).status === 'delivered');
    expect((await attemptsOf(orphan)).map((a) => a.attemptNumber)).toEqual([2]);
    await sleep(150);
    expect(receiver.byId(held)).toEqual([]);
    expect(await messageOf(held)).toMatchObject({ status: 'delivering', attemptCount: 1 });
  });
});
