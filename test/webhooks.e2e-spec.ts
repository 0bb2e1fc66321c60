// Webhook endpoint management (API guide: Webhooks): CRUD, secrets shown once and never
// stored in clear, rotation with dual signatures, test events, the delivery
// log and redelivery, tenancy and scopes. Deliveries go to a real receiver on
// 127.0.0.1 that verifies them with the `standardwebhooks` package.
import { SecretBox } from '../src/platform/crypto/secret-box';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, WebhookReceiver } from './helpers/webhook-receiver';

const ENV = {
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '2000',
};

describe('Webhook endpoints', () => {
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

  const as = (who: { key: string }) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', who.key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', who.key).send(body ?? {}),
    patch: (path: string, body: object) => t.http.patch(path).set('X-API-Key', who.key).send(body),
    delete: (path: string) => t.http.delete(path).set('X-API-Key', who.key),
  });

  async function createEndpoint(who: OrgWithKey = org, body: object = {}): Promise<Record<string, any>> {
    const res = await as(who).post('/v1/webhook-endpoints', { url: receiver.url(), events: ['*'], ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('create, read, update, delete', () => {
    it('creates an endpoint and shows its secret exactly once, with Cache-Control: no-store', async () => {
      const res = await as(org).post('/v1/webhook-endpoints', { url: receiver.url('/a?x=1'), events: ['release.created', 'release.status_changed'], description: 'Label sync' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.location).toBe(`/v1/webhook-endpoints/${res.body.id}`);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^we_/),
        url: receiver.url('/a?x=1'),
        events: ['release.created', 'release.status_changed'],
        description: 'Label sync',
        enabled: true,
        disabledReason: null,
        previousSecretExpiresAt: null,
      });
      expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(res.body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

      const one = await as(org).get(`/v1/webhook-endpoints/${res.body.id}`).expect(200);
      const list = await as(org).get('/v1/webhook-endpoints').expect(200);
      for (const shown of [one.body, list.body.data[0]]) {
        expect(shown).not.toHaveProperty('secret');
        expect(JSON.stringify(shown)).not.toContain(res.body.secret.slice(6));
      }
      expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([res.body.id]);
    });

    it('stores the secret only sealed (AES-256-GCM with the key id), bound to the endpoint', async () => {
      const created = await createEndpoint();
      const rows = await t.prisma.$queryRaw<Array<Record<string, unknown>>>`SELECT * FROM webhook_endpoints WHERE id = ${created.id}`;
      const raw = JSON.stringify(rows[0]);
      expect(raw).not.toContain(created.secret);
      expect(raw).not.toContain(created.secret.slice(6));
      const sealed = rows[0].secret_sealed as string;
      expect(sealed).toMatch(/^v1\.t1\./);
      const box = t.app.get(SecretBox);
      expect(box.open(sealed, `webhook-endpoint-secret:${created.id}`)).toBe(created.secret);
      expect(() => box.open(sealed, 'webhook-endpoint-secret:we_other')).toThrow();
    });

    it('refuses unknown event types, "*" mixed with types, empty lists, bad URLs and unknown properties — and writes nothing', async () => {
      const cases: Array<[object, string]> = [
        [{ url: receiver.url(), events: ['release.created', 'release.exploded'] }, 'events'],
        [{ url: receiver.url(), events: ['*', 'release.created'] }, 'events'],
        [{ url: receiver.url(), events: [] }, 'events'],
        [{ url: receiver.url(), events: ['release.created', 'release.created'] }, 'events'],
        [{ url: receiver.url() }, 'events'],
        [{ url: 'not a url', events: ['*'] }, 'url'],
        [{ url: 'ftp://127.0.0.1/x', events: ['*'] }, 'url'],
        [{ events: ['*'] }, 'url'],
        [{ url: receiver.url(), events: ['*'], secret: 'whsec_mine' }, 'secret'],
        [{ url: receiver.url(), events: ['*'], enabled: false }, 'enabled'],
      ];
      for (const [body, field] of cases) {
        const res = await as(org).post('/v1/webhook-endpoints', body);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await t.prisma.webhookEndpoint.count({ where: { orgId: org.orgId } })).toBe(0);
    });

    it('patches url, events, description and enabled; an invalid patch changes nothing', async () => {
      const created = await createEndpoint();
      const patched = await as(org)
        .patch(`/v1/webhook-endpoints/${created.id}`, { url: receiver.url('/b'), events: ['track.created'], description: 'new', enabled: false })
        .expect(200);
      expect(patched.body).toMatchObject({ url: receiver.url('/b'), events: ['track.created'], description: 'new', enabled: false, disabledReason: null });
      expect(patched.body).not.toHaveProperty('secret');

      for (const body of [{ events: ['nope'] }, { url: 'https://169.254.169.254/' }, { enabled: 'yes' }, { secretSealed: 'x' }]) {
        await as(org).patch(`/v1/webhook-endpoints/${created.id}`, body).expect(400);
      }
      const after = await as(org).get(`/v1/webhook-endpoints/${created.id}`).expect(200);
      expect(after.body).toEqual(patched.body);

      const cleared = await as(org).patch(`/v1/webhook-endpoints/${created.id}`, { description: null, enabled: true }).expect(200);
      expect(cleared.body).toMatchObject({ description: null, enabled: true });
    });

    it('deletes an endpoint (204) with its messages; afterwards it is 404', async () => {
      const created = await createEndpoint();
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(202);
      await eventually(() => t.prisma.webhookMessage.count({ where: { endpointId: created.id } }));
      await as(org).delete(`/v1/webhook-endpoints/${created.id}`).expect(204);
      await as(org).get(`/v1/webhook-endpoints/${created.id}`).expect(404);
      await as(org).delete(`/v1/webhook-endpoints/${created.id}`).expect(404);
      expect(await t.prisma.webhookMessage.count({ where: { endpointId: created.id } })).toBe(0);
    });

    it('pages the list newest first with a cursor', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await createEndpoint()).id);
      const first = await as(org).get('/v1/webhook-endpoints?limit=2').expect(200);
      expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
      const second = await as(org).get(`/v1/webhook-endpoints?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    });
  });

  describe('tenancy and scopes', () => {
    it("answers 404 for another organization's endpoint and message, whatever the route", async () => {
      const created = await createEndpoint();
      receiver.secrets = [created.secret];
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(202);
      const [delivery] = await receiver.waitForCount(1);
      const other = await createOrgWithKey(t);
      const base = `/v1/webhook-endpoints/${created.id}`;
      await as(other).get(base).expect(404);
      await as(other).patch(base, { description: 'mine now' }).expect(404);
      await as(other).delete(base).expect(404);
      await as(other).post(`${base}/rotate-secret`).expect(404);
      await as(other).post(`${base}/test`).expect(404);
      await as(other).get(`${base}/deliveries`).expect(404);
      await as(other).post(`/v1/webhook-messages/${delivery.webhookId}/redeliver`).expect(404);
      expect((await as(other).get('/v1/webhook-endpoints').expect(200)).body.data).toEqual([]);
      const unchanged = await as(org).get(base).expect(200);
      expect(unchanged.body.description).toBeNull();
    });

    it('needs webhooks:read to read and webhooks:write to change', async () => {
      const created = await createEndpoint();
      const reader = await createOrgWithKey(t, ['webhooks:read']);
      const readerOfOrg = { key: (await as(org).post('/v1/api-keys', { name: 'reader', scopes: ['webhooks:read'] })).body.key as string };
      const nobody = { key: (await as(org).post('/v1/api-keys', { name: 'nobody', scopes: ['releases:read'] })).body.key as string };
      await as(readerOfOrg).get(`/v1/webhook-endpoints/${created.id}`).expect(200);
      await as(readerOfOrg).get(`/v1/webhook-endpoints/${created.id}/deliveries`).expect(200);
      const denied = await as(readerOfOrg).post('/v1/webhook-endpoints', { url: receiver.url(), events: ['*'] }).expect(403);
      expect(denied.body.missingScopes).toEqual(['webhooks:write']);
      await as(readerOfOrg).patch(`/v1/webhook-endpoints/${created.id}`, { enabled: false }).expect(403);
      await as(readerOfOrg).post(`/v1/webhook-endpoints/${created.id}/rotate-secret`).expect(403);
      await as(nobody).get('/v1/webhook-endpoints').expect(403);
      await as(reader).get('/v1/webhook-endpoints').expect(200);
      await t.http.get('/v1/webhook-endpoints').expect(401);
    });
  });

  describe('test events, delivery log and redelivery', () => {
    it('sends webhook.test to that endpoint only, signed, and logs the attempt', async () => {
      const target = await createEndpoint(org, { events: ['track.deleted'] });
      const bystander = await createEndpoint(org, { url: receiver.url('/bystander') });
      receiver.secrets = [target.secret];
      receiver.respond = () => ({ status: 200, body: 'thanks' });

      const res = await as(org).post(`/v1/webhook-endpoints/${target.id}/test`).expect(202);
      expect(res.body.eventId).toMatch(/^evt_/);
      const [delivery] = await receiver.waitForCount(1);
      expect(delivery.path).toBe('/hooks');
      expect(delivery.verifiedWith).toEqual([0]);
      expect(delivery.json).toEqual({
        type: 'webhook.test',
        timestamp: expect.any(String),
        data: { endpointId: target.id, message: expect.any(String) },
      });

      const log = await eventually(async () => {
        const page = await as(org).get(`/v1/webhook-endpoints/${target.id}/deliveries`).expect(200);
        return page.body.data[0]?.status === 'delivered' ? page.body : undefined;
      });
      expect(log.data).toEqual([
        {
          id: delivery.webhookId,
          endpointId: target.id,
          eventId: res.body.eventId,
          eventType: 'webhook.test',
          status: 'delivered',
          attemptCount: 1,
          nextAttemptAt: null,
          deliveredAt: expect.any(String),
          createdAt: expect.any(String),
          attempts: [{ attemptNumber: 1, attemptedAt: expect.any(String), statusCode: 200, durationMs: expect.any(Number), responseBodyExcerpt: 'thanks', error: null }],
        },
      ]);
      expect(log.nextCursor).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(receiver.deliveries.filter((d) => d.path === '/bystander')).toEqual([]);
    });

    it('refuses a test to a disabled endpoint (409) and queues nothing', async () => {
      const created = await createEndpoint();
      await as(org).patch(`/v1/webhook-endpoints/${created.id}`, { enabled: false }).expect(200);
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(409);
      expect(await t.prisma.outboxEvent.count({ where: { orgId: org.orgId, type: 'webhook.test' } })).toBe(0);
    });

    it('redelivers a message now with the same webhook-id (202) and logs both attempts', async () => {
      const created = await createEndpoint();
      receiver.secrets = [created.secret];
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(202);
      const [first] = await receiver.waitForCount(1);
      await eventually(async () => (await t.prisma.webhookMessage.findUnique({ where: { id: first.webhookId } }))?.status === 'delivered');

      const res = await as(org).post(`/v1/webhook-messages/${first.webhookId}/redeliver`).expect(202);
      expect(res.body).toEqual({ id: first.webhookId, status: 'pending' });
      const [, second] = await receiver.waitForCount(2);
      expect(second.webhookId).toBe(first.webhookId);
      expect(second.body).toBe(first.body);
      expect(second.verifiedWith).toEqual([0]);
      const log = await eventually(async () => {
        const page = await as(org).get(`/v1/webhook-endpoints/${created.id}/deliveries?status=delivered`).expect(200);
        return page.body.data[0]?.attempts.length === 2 ? page.body.data[0] : undefined;
      });
      expect(log.attempts.map((a: { attemptNumber: number }) => a.attemptNumber)).toEqual([1, 2]);

      await as(org).post('/v1/webhook-messages/msg_01JZZZZZZZZZZZZZZZZZZZZZZZ/redeliver').expect(404);
      await as(org).post('/v1/webhook-messages/nonsense/redeliver').expect(404);
    });
  });

  describe('secret rotation', () => {
    it('signs with both secrets during the grace period, each verifiable on its own', async () => {
      const created = await createEndpoint();
      const rotated = await as(org).post(`/v1/webhook-endpoints/${created.id}/rotate-secret`, { gracePeriodSeconds: 3600 });
      expect(rotated.status).toBe(201);
      expect(rotated.headers['cache-control']).toBe('no-store');
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(created.secret);
      const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
      expect(Math.abs(expiresAt - (Date.now() + 3600_000))).toBeLessThan(10_000);
      const shown = await as(org).get(`/v1/webhook-endpoints/${created.id}`).expect(200);
      expect(shown.body.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
      expect(shown.body).not.toHaveProperty('secret');

      receiver.secrets = [created.secret, rotated.body.secret];
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(202);
      const [delivery] = await receiver.waitForCount(1);
      expect(delivery.webhookSignature.split(' ')).toHaveLength(2);
      expect(delivery.verifiedWith).toEqual([0, 1]);
    });

    it('with a grace period of 0 signs with the new secret only', async () => {
      const created = await createEndpoint();
      const rotated = await as(org).post(`/v1/webhook-endpoints/${created.id}/rotate-secret`, { gracePeriodSeconds: 0 }).expect(201);
      receiver.secrets = [created.secret, rotated.body.secret];
      await as(org).post(`/v1/webhook-endpoints/${created.id}/test`).expect(202);
      const [delivery] = await receiver.waitForCount(1);
      expect(delivery.webhookSignature.split(' ')).toHaveLength(1);
      expect(delivery.verifiedWith).toEqual([1]);
      await as(org).post(`/v1/webhook-endpoints/${created.id}/rotate-secret`, { gracePeriodSeconds: -1 }).expect(400);
    });
  });
});
