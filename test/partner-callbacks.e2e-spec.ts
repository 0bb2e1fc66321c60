// Inbound partner callbacks (API guide: Partner callbacks): Standard Webhooks signatures made
// with the `standardwebhooks` package as a partner would, every refusal
// leaving the release, the dedup table and the outbox untouched, replays
// answered 200 without effect, and a valid callback moving the release and
// emitting our outbound event in the same transaction.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { PartnersService } from '../src/modules/partners/partners.service';
import { SecretBox } from '../src/platform/crypto/secret-box';
import { newId } from '../src/platform/ids';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

// The real CLI entry point in a child process, SWC stripping the types as under Jest.
const CLI = `
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const options = { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2023' }, module: { type: 'commonjs' } };
require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
process.argv = [process.argv[0], 'cli', ...JSON.parse(process.env.CLI_ARGS)];
require('./src/cli/main.ts');
`;

interface Partner {
  partnerId: string;
  secret: string;
}

describe('Partner callbacks', () => {
  let t: TestApp;
  let org: OrgWithKey;
  let partner: Partner;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_WORKERS: '0' } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    org = await createOrgWithKey(t);
    partner = await t.app.get(PartnersService).create(org.orgId, 'Spotify delivery');
  });

  /** A release of `owner` in `status`, put there directly (the lifecycle's own routes are tested elsewhere). */
  async function releaseIn(status: string, owner: OrgWithKey = org): Promise<string> {
    const res = await t.http.post('/v1/releases').set('X-API-Key', owner.key).send({ title: 'Blue Train', artists: ['John Coltrane'] });
    expect(res.status).toBe(201);
    await t.prisma.release.update({ where: { id: res.body.id }, data: { status } });
    return res.body.id;
  }

  interface SendOptions {
    id?: string;
    timestamp?: number;
    secret?: string;
    partnerId?: string;
    headers?: Record<string, string>;
    unsigned?: boolean;
  }

  /** Signs like a partner would, with the reference library. */
  function send(body: object | string, options: SendOptions = {}) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const id = options.id ?? `cb_${newId('evt')}`;
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const signature = new Webhook(options.secret ?? partner.secret).sign(id, new Date(timestamp * 1000), raw);
    const req = t.http.post(`/v1/partners/${options.partnerId ?? partner.partnerId}/callbacks`).set('Content-Type', 'application/json');
    if (!options.unsigned) req.set({ 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });
    if (options.headers) req.set(options.headers);
    return req.send(raw);
  }

  /** Everything a refused callback must leave as it was. */
  async function snapshot(releaseId: string) {
    const release = await t.prisma.release.findUniqueOrThrow({ where: { id: releaseId } });
    return {
      status: release.status,
      version: release.version,
      statusReason: release.statusReason,
      callbacks: await t.prisma.partnerCallback.count({ where: { releaseId } }),
      events: await t.prisma.outboxEvent.count({ where: { orgId: release.orgId, type: 'release.status_changed' } }),
    };
  }

  it('stores the partner secret sealed, never in clear', async () => {
    expect(partner.partnerId).toMatch(/^ptn_/);
    expect(partner.secret).toMatch(/^whsec_/);
    const row = await t.prisma.partner.findUniqueOrThrow({ where: { id: partner.partnerId } });
    expect(JSON.stringify(row)).not.toContain(partner.secret.slice(6));
    expect(t.app.get(SecretBox).open(row.secretSealed, `partner-secret:${partner.partnerId}`)).toBe(partner.secret);
  });

  it('moves the release and emits release.status_changed for a valid callback', async () => {
    const releaseId = await releaseIn('approved');
    const before = await snapshot(releaseId);
    const res = await send({ type: 'release.live', data: { releaseId } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, releaseId, status: 'live' });

    const release = await t.prisma.release.findUniqueOrThrow({ where: { id: releaseId } });
    expect(release).toMatchObject({ status: 'live', version: before.version + 1 });
    const event = await t.prisma.outboxEvent.findFirstOrThrow({ where: { orgId: org.orgId, type: 'release.status_changed' } });
    expect(event.data).toMatchObject({ previousStatus: 'approved', status: 'live', reason: null, release: { id: releaseId, status: 'live' } });
    const shown = await t.http.get(`/v1/releases/${releaseId}`).set('X-API-Key', org.key).expect(200);
    expect(shown.body.status).toBe('live');
  });

  it('carries the reason of a rejection and a takedown', async () => {
    const submitted = await releaseIn('submitted');
    await send({ type: 'release.rejected', data: { releaseId: submitted, reason: 'Cover art below 3000 px.' } }).expect(200);
    expect(await t.prisma.release.findUniqueOrThrow({ where: { id: submitted } })).toMatchObject({ status: 'rejected', statusReason: 'Cover art below 3000 px.' });

    const live = await releaseIn('live');
    await send({ type: 'release.taken_down', data: { releaseId: live, reason: 'Rights dispute.' } }).expect(200);
    expect(await t.prisma.release.findUniqueOrThrow({ where: { id: live } })).toMatchObject({ status: 'taken_down', statusReason: 'Rights dispute.' });
  });

  it('answers a replayed webhook-id with 200 and changes nothing again', async () => {
    const releaseId = await releaseIn('approved');
    const id = 'partner-msg-0001';
    await send({ type: 'release.live', data: { releaseId } }, { id }).expect(200);
    const after = await snapshot(releaseId);

    const replay = await send({ type: 'release.live', data: { releaseId } }, { id });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true, duplicate: true });
    // Even a different (validly signed) body under the same webhook-id is a replay.
    const again = await send({ type: 'release.taken_down', data: { releaseId } }, { id });
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await snapshot(releaseId)).toEqual(after);
  });

  it('processes concurrent duplicates exactly once', async () => {
    const releaseId = await releaseIn('approved');
    const before = await snapshot(releaseId);
    const results = await Promise.all(Array.from({ length: 5 }, () => send({ type: 'release.live', data: { releaseId } }, { id: 'concurrent-1' })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await snapshot(releaseId)).toEqual({ ...before, status: 'live', version: before.version + 1, callbacks: 1, events: before.events + 1 });
  });

  describe('audit trail', () => {
    /** The audit event a callback answered with, as the partner's organization reads it (GET /v1/audit-events). */
    async function auditedAs(res: { headers: Record<string, string> }) {
      const requestId = res.headers['x-request-id'];
      expect(requestId).toBeTruthy();
      const page = await t.http.get('/v1/audit-events').query({ actorId: partner.partnerId, limit: 100 }).set('X-API-Key', org.key).expect(200);
      const events = page.body.data.filter((event: { requestId: string }) => event.requestId === requestId);
      expect(events).toHaveLength(1);
      // Recorded once, in the partner's organization: nothing of it is left outside.
      expect(await t.prisma.auditEvent.count({ where: { requestId } })).toBe(1);
      return events[0];
    }

    it("records a valid callback as the partner, in the release's organization", async () => {
      const releaseId = await releaseIn('approved');
      const res = await send({ type: 'release.live', data: { releaseId } }).expect(200);
      expect(await auditedAs(res)).toMatchObject({
        orgId: org.orgId,
        actor: { type: 'partner', id: partner.partnerId },
        action: 'partner.callback',
        resource: { type: 'release' },
        outcome: 'success',
        statusCode: 200,
        changes: { fields: ['type', 'data'], values: { type: 'release.live' } },
      });
      expect((await t.http.get('/v1/audit-events/verify').set('X-API-Key', org.key).expect(200)).body).toMatchObject({ ok: true });
    });

    it('records a replay as the partner too, as a success', async () => {
      const releaseId = await releaseIn('approved');
      await send({ type: 'release.live', data: { releaseId } }, { id: 'audited-replay' }).expect(200);
      const replay = await send({ type: 'release.live', data: { releaseId } }, { id: 'audited-replay' }).expect(200);
      expect(replay.body).toEqual({ received: true, duplicate: true });
      expect(await auditedAs(replay)).toMatchObject({
        orgId: org.orgId,
        actor: { type: 'partner', id: partner.partnerId },
        action: 'partner.callback',
        outcome: 'success',
        statusCode: 200,
      });
    });

    it("records a refusal after authentication (409) as the partner's denial", async () => {
      const releaseId = await releaseIn('draft');
      const res = await send({ type: 'release.live', data: { releaseId } }).expect(409);
      expect(await auditedAs(res)).toMatchObject({ actor: { type: 'partner', id: partner.partnerId }, outcome: 'denied', statusCode: 409 });
    });

    it("records a bad signature naming a known partner as a denial in that partner's organization, answered as for an unknown one", async () => {
      const releaseId = await releaseIn('approved');
      const before = await snapshot(releaseId);
      const forged = await send({ type: 'release.live', data: { releaseId } }, { secret: 'whsec_' + Buffer.alloc(32, 5).toString('base64') });
      expect(forged.status).toBe(401);
      expect(await auditedAs(forged)).toMatchObject({
        orgId: org.orgId,
        actor: { type: 'partner', id: partner.partnerId },
        action: 'partner.callback',
        outcome: 'denied',
        statusCode: 401,
      });
      expect(await snapshot(releaseId)).toEqual(before);

      // An unknown partner id stays anonymous and outside any organization; the caller cannot tell the two apart.
      await t.flushAudit(); // anonymous refusals are counted per window: start a fresh one
      const unknown = await send({ type: 'release.live', data: { releaseId } }, { partnerId: newId('ptn') });
      expect({ ...unknown.body, requestId: undefined, instance: undefined }).toEqual({ ...forged.body, requestId: undefined, instance: undefined });
      await t.flushAudit();
      const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { requestId: unknown.headers['x-request-id'] } });
      expect(event).toMatchObject({ orgId: null, actorType: 'anonymous', actorId: null, outcome: 'denied', statusCode: 401 });
    });

    it('is not visible to another organization', async () => {
      const releaseId = await releaseIn('approved');
      const res = await send({ type: 'release.live', data: { releaseId } }).expect(200);
      const stranger = await createOrgWithKey(t);
      const page = await t.http.get('/v1/audit-events').query({ actorId: partner.partnerId }).set('X-API-Key', stranger.key).expect(200);
      expect(page.body.data).toEqual([]);
      expect((await auditedAs(res)).orgId).toBe(org.orgId);
    });
  });

  // Issue 17.7: a partner's secret is rotated by the operator with a grace period, audited.
  describe('secret rotation', () => {
    it('partner:rotate-secret prints a new secret; both verify during the grace period, the old one not after; audited', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLI], {
        cwd: path.resolve(__dirname, '..'),
        env: { ...process.env, ...t.env, CLI_ARGS: JSON.stringify(['partner:rotate-secret', '--partner', partner.partnerId, '--grace-seconds', '3600', '--json']) },
        timeout: 30_000,
      });
      const rotated = JSON.parse(stdout.trim().split('\n').at(-1)!) as { partnerId: string; secret: string; previousSecretExpiresAt: string };
      expect(rotated).toEqual({ partnerId: partner.partnerId, secret: expect.stringMatching(/^whsec_/), previousSecretExpiresAt: expect.any(String) });
      expect(rotated.secret).not.toBe(partner.secret);
      expect(Math.abs(Date.parse(rotated.previousSecretExpiresAt) - (Date.now() + 3_600_000))).toBeLessThan(60_000);

      const [first, second, third] = [await releaseIn('approved'), await releaseIn('approved'), await releaseIn('approved')];
      expect((await send({ type: 'release.live', data: { releaseId: first } }, { secret: rotated.secret })).status).toBe(200);
      expect((await send({ type: 'release.live', data: { releaseId: second } }, { secret: partner.secret })).status).toBe(200);

      await t.prisma.partner.update({ where: { id: partner.partnerId }, data: { previousSecretExpiresAt: new Date(Date.now() - 1000) } });
      const stale = await send({ type: 'release.live', data: { releaseId: third } }, { secret: partner.secret });
      expect(stale.status).toBe(401);
      expect(stale.body.reason).toBe('no_matching_signature');

      const row = await t.prisma.partner.findUniqueOrThrow({ where: { id: partner.partnerId } });
      expect(JSON.stringify(row)).not.toContain(rotated.secret.slice(6));
      const audited = await t.prisma.auditEvent.findFirstOrThrow({ where: { orgId: org.orgId, action: 'partner.rotate_secret' } });
      expect(audited).toMatchObject({ actorType: 'system', actorId: 'cli', resourceId: partner.partnerId, outcome: 'success' });
      expect(JSON.stringify(audited.changes)).not.toContain('whsec_');
    }, 40_000);

    it('with grace 0 the old secret stops at once; an unknown partner or a bad grace is refused', async () => {
      const partners = t.app.get(PartnersService);
      const rotated = await partners.rotateSecret(partner.partnerId, 0);
      const releaseId = await releaseIn('approved');
      expect((await send({ type: 'release.live', data: { releaseId } }, { secret: partner.secret })).status).toBe(401);
      expect((await send({ type: 'release.live', data: { releaseId } }, { secret: rotated.secret })).status).toBe(200);
      await expect(partners.rotateSecret(newId('ptn'))).rejects.toThrow('The partner does not exist.');
      await expect(partners.rotateSecret(partner.partnerId, -1)).rejects.toThrow(/grace period/);
    });
  });

  // Issue 17.6: the payload shape Standard Webhooks recommends, { type, timestamp, data }.
  it('accepts a Standard Webhooks payload with timestamp; unknown properties inside data stay refused', async () => {
    const releaseId = await releaseIn('approved');
    const res = await send({ type: 'release.live', timestamp: new Date().toISOString(), data: { releaseId } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ duplicate: false, releaseId, status: 'live' });
    const extra = await send({ type: 'release.taken_down', timestamp: new Date().toISOString(), data: { releaseId, note: 'x' } });
    expect(extra.status).toBe(400);
    expect(extra.body.errors.map((e: { field: string }) => e.field)).toEqual(['data.note']);
    const badTime = await send({ type: 'release.taken_down', timestamp: 'yesterday', data: { releaseId } });
    expect(badTime.status).toBe(400);
    expect(badTime.body.errors.map((e: { field: string }) => e.field)).toEqual(['timestamp']);
  });

  describe('refuses, changing nothing', () => {
    let releaseId: string;
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeEach(async () => {
      releaseId = await releaseIn('approved');
      before = await snapshot(releaseId);
    });
    afterEach(async () => {
      expect(await snapshot(releaseId)).toEqual(before);
    });

    const body = () => ({ type: 'release.live', data: { releaseId } });
    const now = () => Math.floor(Date.now() / 1000);

    it.each<[string, () => SendOptions, string]>([
      ['unsigned', () => ({ unsigned: true }), 'missing_headers'],
      ['signed with another secret', () => ({ secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64') }), 'no_matching_signature'],
      ['with a forged signature', () => ({ headers: { 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') } }), 'no_matching_signature'],
      ['with a signature of another version', () => ({ headers: { 'webhook-signature': 'v1a,abc' } }), 'no_matching_signature'],
      ['stale (6 minutes old)', () => ({ timestamp: now() - 360 }), 'timestamp_too_old'],
      ['from the future (6 minutes ahead)', () => ({ timestamp: now() + 360 }), 'timestamp_too_new'],
      ['with a non-numeric timestamp', () => ({ headers: { 'webhook-timestamp': 'yesterday' } }), 'malformed_timestamp'],
      ['with the id changed after signing', () => ({ headers: { 'webhook-id': 'another-id' } }), 'no_matching_signature'],
    ])('a callback %s → 401', async (_name, options, reason) => {
      const res = await send(body(), options());
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, reason });
    });

    it('a body altered after signing → 401', async () => {
      const raw = JSON.stringify(body());
      const id = 'tamper-1';
      const ts = now();
      const signature = new Webhook(partner.secret).sign(id, new Date(ts * 1000), raw);
      const res = await t.http
        .post(`/v1/partners/${partner.partnerId}/callbacks`)
        .set({ 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature })
        .send(raw.replace('release.live', 'release.taken_down'));
      expect(res.status).toBe(401);
    });

    it('an unknown partner → 401, indistinguishable from a bad signature', async () => {
      const unknown = await send(body(), { partnerId: newId('ptn') });
      const malformed = await send(body(), { partnerId: 'not-a-partner' });
      const badSignature = await send(body(), { secret: 'whsec_' + Buffer.alloc(32, 9).toString('base64') });
      for (const res of [unknown, malformed]) {
        expect(res.status).toBe(401);
        expect({ ...res.body, requestId: undefined, instance: undefined }).toEqual({ ...badSignature.body, requestId: undefined, instance: undefined });
      }
    });

    it("another partner's secret → 401", async () => {
      const other = await t.app.get(PartnersService).create(org.orgId, 'Apple delivery');
      expect((await send(body(), { secret: other.secret })).status).toBe(401);
    });

    it('malformed JSON → 400', async () => {
      const res = await send('{"type": "release.live", "data": ');
      expect(res.status).toBe(400);
      expect(res.body.detail).toBe('The request body is not valid JSON.');
    });

    it('an invalid body (signed) → 400 naming the fields; unsigned → 401 before any validation', async () => {
      const invalid = { type: 'release.exploded', data: { releaseId, extra: true } };
      const res = await send(invalid);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['data.extra', 'type']);
      expect((await send(invalid, { unsigned: true })).status).toBe(401);
      expect((await send([1, 2])).status).toBe(400);
      expect((await send({ type: 'release.live' })).status).toBe(400);
    });

    it('an unknown release, or one of another organization → 404', async () => {
      const missing = await send({ type: 'release.live', data: { releaseId: newId('rel') } });
      expect(missing.status).toBe(404);
      const stranger = await createOrgWithKey(t);
      const theirs = await releaseIn('approved', stranger);
      const theirsBefore = await snapshot(theirs);
      expect((await send({ type: 'release.live', data: { releaseId: theirs } })).status).toBe(404);
      expect(await snapshot(theirs)).toEqual(theirsBefore);
    });

    it('an illegal transition → 409, and the same webhook-id may be retried once the release can move', async () => {
      await t.prisma.release.update({ where: { id: releaseId }, data: { status: 'draft' } });
      before = await snapshot(releaseId);
      const res = await send(body(), { id: 'retry-after-409' });
      expect(res.status).toBe(409);
      expect(res.body.detail).toMatch(/draft cannot move to live/);
      expect(await snapshot(releaseId)).toEqual(before);

      // The refusal recorded nothing, so the partner's retry is processed, not treated as a replay.
      await t.prisma.release.update({ where: { id: releaseId }, data: { status: 'approved' } });
      const retried = await send(body(), { id: 'retry-after-409' });
      expect(retried.body).toEqual({ received: true, duplicate: false, releaseId, status: 'live' });
      before = await snapshot(releaseId);
    });
  });
});
