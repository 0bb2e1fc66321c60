// OWASP API10:2023 Unsafe Consumption of APIs. Two third parties talk back to
// this API: delivery partners (signed status callbacks, API guide: Partner callbacks) and the
// receivers of our webhooks (their answers). A partner's message is trusted
// only once its Standard Webhooks signature over the exact bytes, its
// timestamp (±5 min) and its id check out — identically for unknown partners —
// and then only if it passes the same rules as a client's request (schema,
// field bounds, no control characters) and the release lifecycle. A
// receiver's answer (status, Retry-After, body bytes) is recorded without
// breaking delivery, bounded and sanitised.
import { Webhook } from 'standardwebhooks';
import { WebhookWorkerRunner } from '../src/modules/webhooks/delivery/webhook-worker-runner';
import { newId } from '../src/platform/ids';
import { expectProblemJson } from './helpers/problem-json';
import { SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import type { TestApp } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

describe('OWASP API10 — unsafe consumption of third-party APIs', () => {
  let t: TestApp;
  let us: SeededTenant;

  beforeAll(async () => {
    t = await startSecurityApp();
    us = await seedTenant(t, 'consumer');
    // The seeded release is a draft; the partner reports on an approved one.
    await t.prisma.release.update({ where: { id: us.releaseId }, data: { status: 'approved' } });
  });
  afterAll(() => t.close());

  interface Callback {
    body?: string;
    id?: string;
    timestamp?: number | string;
    signature?: string;
    partnerId?: string;
    secret?: string;
    /** Sign this instead of the body sent. */
    signedBody?: string;
  }

  const now = () => Math.floor(Date.now() / 1000);
  const liveBody = () => JSON.stringify({ type: 'release.live', data: { releaseId: us.releaseId } });

  function send(c: Callback = {}) {
    const body = c.body ?? liveBody();
    const id = c.id ?? `cb_${newId('evt')}`;
    const timestamp = c.timestamp ?? now();
    const signature = c.signature ?? new Webhook(c.secret ?? us.partnerSecret).sign(id, new Date(Number(timestamp) * 1000), c.signedBody ?? body);
    return t.http
      .post(`/v1/partners/${c.partnerId ?? us.partnerId}/callbacks`)
      .set({ 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature })
      .send(body);
  }

  /** A refusal: the status, and nothing changed anywhere (the refusal itself is audited). */
  async function expectRefused(attempt: () => ReturnType<typeof send>, status: number): Promise<Record<string, any>> {
    const before = await tableFingerprint(t);
    const res = await attempt();
    const body = expectProblemJson(res, status);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    return body;
  }

  describe('authentication of partner callbacks', () => {
    const forged: Array<[string, () => Callback]> = [
      ['no signature at all', () => ({ signature: '' })],
      ['a signature by another secret', () => ({ secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` })],
      ['a signature by another organization’s endpoint secret', () => ({ secret: us.endpointSecret })],
      ['a signature of another body', () => ({ signedBody: JSON.stringify({ type: 'release.rejected', data: { releaseId: us.releaseId } }) })],
      ['the signed body re-serialised with other whitespace', () => ({ body: JSON.stringify(JSON.parse(liveBody()), null, 2), signedBody: liveBody() })],
      ['a signature made for another webhook-id', () => ({ id: 'cb_original', signature: new Webhook(us.partnerSecret).sign('cb_other', new Date(), liveBody()) })],
      ['a timestamp six minutes old', () => ({ timestamp: now() - 360 })],
      ['a timestamp six minutes ahead', () => ({ timestamp: now() + 360 })],
      ['a non-numeric timestamp', () => ({ timestamp: 'yesterday' })],
      ['a negative timestamp', () => ({ timestamp: '-1' })],
      ['a huge timestamp', () => ({ timestamp: '99999999999999999999' })],
      ['a v2 signature', () => ({ signature: `v2,${Buffer.alloc(32).toString('base64')}` })],
      ['a truncated signature', () => ({ signature: new Webhook(us.partnerSecret).sign('x', new Date(), liveBody()).slice(0, 20) })],
      ['a signature without its version', () => ({ signature: new Webhook(us.partnerSecret).sign('x', new Date(), liveBody()).replace(/^v1,/, '') })],
    ];

    it.each(forged)('refuses %s with 401, changing nothing', async (_name, make) => {
      const body = await expectRefused(() => send(make()), 401);
      expect(body.type).toMatch(/#invalid-signature$/);
    });

    it('answers an unknown or malformed partner id exactly like a bad signature (no partner enumeration)', async () => {
      const badSignature = await expectRefused(() => send({ secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}` }), 401);
      for (const partnerId of ['ptn_01JF3Z00000000000000000000', 'ptn_x', '%00', `ptn_${'A'.repeat(500)}`]) {
        const unknown = await expectRefused(() => send({ partnerId }), 401);
        const strip = ({ requestId: _r, instance: _i, ...rest }: Record<string, any>) => rest;
        expect(strip(unknown)).toEqual(strip(badSignature));
      }
    });

    it('refuses a replay of a processed message (same webhook-id) without applying it again', async () => {
      const id = `cb_${newId('evt')}`;
      await send({ id }).expect(200);
      const after = await t.prisma.release.findUniqueOrThrow({ where: { id: us.releaseId } });
      const replay = await send({ id, body: JSON.stringify({ type: 'release.taken_down', data: { releaseId: us.releaseId } }) });
      expect(replay.body).toEqual({ received: true, duplicate: true });
      expect(await t.prisma.release.findUniqueOrThrow({ where: { id: us.releaseId } })).toEqual(after);
    });
  });

  describe('validation of what an authenticated partner sends', () => {
    let releaseId: string;

    // A fresh submitted release per test, so a wrongly accepted callback cannot change what the next test sees.
    beforeEach(async () => {
      const res = await t.http.post('/v1/releases').set('X-API-Key', us.key).send({ title: 'Partner target', artists: ['A'] }).expect(201);
      releaseId = res.body.id;
      await t.prisma.release.update({ where: { id: releaseId }, data: { status: 'submitted' } });
    });

    const bodies: Array<[string, () => unknown]> = [
      ['an unknown type', () => ({ type: 'release.approved', data: { releaseId } })],
      ['no data', () => ({ type: 'release.rejected' })],
      ['data as a string', () => ({ type: 'release.rejected', data: releaseId })],
      ['a numeric releaseId', () => ({ type: 'release.rejected', data: { releaseId: 42 } })],
      ['a 65-character releaseId', () => ({ type: 'release.rejected', data: { releaseId: `rel_${'A'.repeat(61)}` } })],
      ['a releaseId with NUL', () => ({ type: 'release.rejected', data: { releaseId: `${releaseId}\u0000` } })],
      ['a 1001-character reason', () => ({ type: 'release.rejected', data: { releaseId, reason: 'r'.repeat(1001) } })],
      ['a reason with NUL', () => ({ type: 'release.rejected', data: { releaseId, reason: 'bad\u0000reason' } })],
      ['a reason with a line break (refused from clients on /status too)', () => ({ type: 'release.rejected', data: { releaseId, reason: 'line one\nX-Injected: two' } })],
      ['a reason that is blank', () => ({ type: 'release.rejected', data: { releaseId, reason: '   ' } })],
      ['unknown properties', () => ({ type: 'release.rejected', data: { releaseId, status: 'live' }, orgId: 'org_x' })],
      ['an array', () => [{ type: 'release.rejected', data: { releaseId } }]],
      ['null', () => null],
      ['a string', () => 'release.rejected'],
    ];

    it.each(bodies)('refuses %s with 400 after checking the signature, changing nothing', async (_name, make) => {
      await expectRefused(() => send({ body: JSON.stringify(make()) }), 400);
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: releaseId } })).status).toBe('submitted');
    });

    it('refuses a webhook-id longer than 255 characters with 400', async () => {
      await expectRefused(() => send({ id: `cb_${'i'.repeat(300)}` }), 400);
    });

    it('refuses a body that is not JSON before looking at it', async () => {
      const res = await t.http.post(`/v1/partners/${us.partnerId}/callbacks`).set('Content-Type', 'text/plain').send('release.live');
      expectProblemJson(res, 415);
    });

    it('applies a valid rejection, with its reason, once', async () => {
      const res = await send({ body: JSON.stringify({ type: 'release.rejected', data: { releaseId, reason: 'Artwork below 3000 px.' } }) }).expect(200);
      expect(res.body).toEqual({ received: true, duplicate: false, releaseId, status: 'rejected' });
      expect(await t.prisma.release.findUniqueOrThrow({ where: { id: releaseId } })).toMatchObject({ status: 'rejected', statusReason: 'Artwork below 3000 px.' });
    });
  });

  describe('answers of webhook receivers', () => {
    let lenient: TestApp;
    let owner: SeededTenant;
    let receiver: WebhookReceiver;

    beforeAll(async () => {
      lenient = await startSecurityApp({ WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1m,1h', WEBHOOK_TIMEOUT_MS: '500' });
      owner = await seedTenant(lenient, 'receiver owner');
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver.close();
      await lenient.close();
    });

    async function deliverOnce(path: string): Promise<Record<string, any>> {
      const endpoint = await lenient.http.post('/v1/webhook-endpoints').set('X-API-Key', owner.key).send({ url: receiver.url(path), events: ['webhook.test'] }).expect(201);
      await lenient.http.post(`/v1/webhook-endpoints/${endpoint.body.id}/test`).set('X-API-Key', owner.key).expect(202);
      await lenient.app.get(WebhookWorkerRunner).runOnce();
      const res = await lenient.http.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`).set('X-API-Key', owner.key).expect(200);
      return res.body.data[0];
    }

    it('records a body of NUL bytes and invalid UTF-8 as a bounded, clean excerpt', async () => {
      receiver.respond = () => ({ status: 500, body: `\u0000\u0000${Buffer.from([0xff, 0xfe, 0xc3]).toString('latin1')}<script>${'x'.repeat(5000)}` });
      const message = await deliverOnce('/garbage');
      const [attempt] = message.attempts;
      expect(attempt.statusCode).toBe(500);
      expect(attempt.responseBodyExcerpt).not.toContain('\u0000');
      expect(Buffer.byteLength(attempt.responseBodyExcerpt ?? '', 'utf8')).toBeLessThanOrEqual(1024);
      expect(message.status).toBe('pending');
    });

    it.each([['garbage'], ['-5'], ['99999999999999999999'], ['Wed, 21 Oct 2015 07:28:00 GMT']])('survives Retry-After: %s on a 503 and keeps a sane schedule', async (retryAfter) => {
      receiver.respond = () => ({ status: 503, headers: { 'Retry-After': retryAfter } });
      const message = await deliverOnce(`/retry-${encodeURIComponent(retryAfter)}`);
      expect(message.attempts).toEqual([expect.objectContaining({ statusCode: 503 })]);
      expect(message.status).toBe('pending');
      const next = new Date(message.nextAttemptAt).getTime();
      expect(Number.isFinite(next)).toBe(true);
      expect(next).toBeGreaterThanOrEqual(Date.now() - 1000);
      expect(next).toBeLessThanOrEqual(Date.now() + 366 * 24 * 3600 * 1000);
    });

    it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS', async () => {
      receiver.respond = () => ({ status: 200, delayMs: 10_000 });
      const started = Date.now();
      const message = await deliverOnce('/slow');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(message.attempts).toEqual([expect.objectContaining({ statusCode: null, error: expect.stringMatching(/time/i) })]);
    });
  });
});
