// OWASP API1:2023 Broken Object Level Authorization. An attacker holding a
// key (and a token) with every scope in its own organization aims at every
// kind of object of another organization — releases, tracks, uploads and
// their content, API keys, webhook endpoints, deliveries and messages, audit
// events, partner callbacks, idempotency records — by id, in lists, through
// cursors, filters and cross-object references. API guide: Conventions: the answer is 404,
// indistinguishable from an id that exists nowhere, never 403 and never the
// data; and nothing of the victim changes.
import type supertest from 'supertest';
import { newId } from '../src/platform/ids';
import { tokenFor } from './helpers/factories';
import { partnerCallbackHeaders } from './helpers/partner-callback-headers';
import { expectProblemJson } from './helpers/problem-json';
import { SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import type { TestApp } from './helpers/test-app';

type Ids = Pick<SeededTenant, 'releaseId' | 'trackId' | 'uploadId' | 'spareKeyId' | 'endpointId' | 'messageId'>;
interface Attack {
  name: string;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: (target: Ids, own: SeededTenant) => string;
  body?: (target: Ids, own: SeededTenant) => object;
  headers?: Record<string, string>;
}

/** Every object-addressing route, aimed at `target`'s ids. */
const ATTACKS: Attack[] = [
  { name: 'read a release', method: 'get', path: (x) => `/v1/releases/${x.releaseId}` },
  { name: 'edit a release', method: 'patch', path: (x) => `/v1/releases/${x.releaseId}`, body: () => ({ title: 'pwned' }) },
  { name: 'edit a release with If-Match: *', method: 'patch', path: (x) => `/v1/releases/${x.releaseId}`, body: () => ({ title: 'pwned' }), headers: { 'If-Match': '*' } },
  { name: 'delete a release', method: 'delete', path: (x) => `/v1/releases/${x.releaseId}` },
  { name: 'submit a release', method: 'post', path: (x) => `/v1/releases/${x.releaseId}/submit` },
  { name: 'change a release status', method: 'post', path: (x) => `/v1/releases/${x.releaseId}/status`, body: () => ({ status: 'approved' }) },
  { name: 'add a track to a release', method: 'post', path: (x) => `/v1/releases/${x.releaseId}/tracks`, body: () => ({ title: 'implant' }) },
  { name: 'read a track', method: 'get', path: (x) => `/v1/releases/${x.releaseId}/tracks/${x.trackId}` },
  { name: 'read a track through the attacker’s release', method: 'get', path: (x, own) => `/v1/releases/${own.releaseId}/tracks/${x.trackId}` },
  { name: 'edit a track', method: 'patch', path: (x) => `/v1/releases/${x.releaseId}/tracks/${x.trackId}`, body: () => ({ title: 'pwned' }) },
  { name: 'edit a track through the attacker’s release', method: 'patch', path: (x, own) => `/v1/releases/${own.releaseId}/tracks/${x.trackId}`, body: () => ({ title: 'pwned' }) },
  { name: 'delete a track', method: 'delete', path: (x) => `/v1/releases/${x.releaseId}/tracks/${x.trackId}` },
  { name: 'attach audio to a track', method: 'put', path: (x) => `/v1/releases/${x.releaseId}/tracks/${x.trackId}/audio`, body: (_x, own) => ({ uploadId: own.uploadId }) },
  { name: 'attach the victim’s upload to the attacker’s track', method: 'put', path: (_x, own) => `/v1/releases/${own.releaseId}/tracks/${own.trackId}/audio`, body: (x) => ({ uploadId: x.uploadId }) },
  { name: 'detach a track’s audio', method: 'delete', path: (x) => `/v1/releases/${x.releaseId}/tracks/${x.trackId}/audio` },
  { name: 'read an upload', method: 'get', path: (x) => `/v1/uploads/${x.uploadId}` },
  { name: 'download an upload', method: 'get', path: (x) => `/v1/uploads/${x.uploadId}/content` },
  { name: 'download part of an upload', method: 'get', path: (x) => `/v1/uploads/${x.uploadId}/content`, headers: { Range: 'bytes=0-63' } },
  { name: 'delete an upload', method: 'delete', path: (x) => `/v1/uploads/${x.uploadId}` },
  { name: 'read an API key', method: 'get', path: (x) => `/v1/api-keys/${x.spareKeyId}` },
  { name: 'rotate an API key', method: 'post', path: (x) => `/v1/api-keys/${x.spareKeyId}/rotate`, body: () => ({ gracePeriodSeconds: 0 }) },
  { name: 'revoke an API key', method: 'delete', path: (x) => `/v1/api-keys/${x.spareKeyId}` },
  { name: 'read a webhook endpoint', method: 'get', path: (x) => `/v1/webhook-endpoints/${x.endpointId}` },
  { name: 'redirect a webhook endpoint', method: 'patch', path: (x) => `/v1/webhook-endpoints/${x.endpointId}`, body: () => ({ url: 'https://93.184.215.15/steal' }) },
  { name: 'disable a webhook endpoint', method: 'patch', path: (x) => `/v1/webhook-endpoints/${x.endpointId}`, body: () => ({ enabled: false }) },
  { name: 'delete a webhook endpoint', method: 'delete', path: (x) => `/v1/webhook-endpoints/${x.endpointId}` },
  { name: 'rotate a webhook secret', method: 'post', path: (x) => `/v1/webhook-endpoints/${x.endpointId}/rotate-secret`, body: () => ({ gracePeriodSeconds: 0 }) },
  { name: 'send a test event', method: 'post', path: (x) => `/v1/webhook-endpoints/${x.endpointId}/test` },
  { name: 'read deliveries', method: 'get', path: (x) => `/v1/webhook-endpoints/${x.endpointId}/deliveries` },
  { name: 'redeliver a message', method: 'post', path: (x) => `/v1/webhook-messages/${x.messageId}/redeliver` },
];

function unknownIds(): Ids {
  return { releaseId: newId('rel'), trackId: newId('trk'), uploadId: newId('upl'), spareKeyId: newId('key'), endpointId: newId('we'), messageId: newId('msg') };
}

/** A 404 without what differs per request, to compare "someone else's" with "nobody's". */
function notFoundShape(res: supertest.Response): Record<string, unknown> {
  const { requestId: _r, instance: _i, ...rest } = expectProblemJson(res, 404);
  return rest;
}

describe('OWASP API1 — broken object level authorization', () => {
  let t: TestApp;
  let victim: SeededTenant;
  let attacker: SeededTenant;

  beforeAll(async () => {
    t = await startSecurityApp();
    victim = await seedTenant(t, 'victim');
    attacker = await seedTenant(t, 'attacker');
  });
  afterAll(() => t.close());

  async function credentialOf(kind: string): Promise<[string, string]> {
    return kind === 'api key' ? ['X-API-Key', attacker.key] : ['Authorization', `Bearer ${await tokenFor(t, attacker)}`];
  }

  function send(attack: Attack, target: Ids, credential: [string, string]): supertest.Test {
    let req = t.http[attack.method](attack.path(target, attacker)).set(...credential);
    for (const [name, value] of Object.entries(attack.headers ?? {})) req = req.set(name, value);
    return attack.body ? req.send(attack.body(target, attacker)) : req;
  }

  describe.each(['api key', 'access token'])('with an %s holding every scope', (kind) => {
    it.each(ATTACKS.map((a) => [a.name, a] as const))('cannot %s of another organization: 404 exactly like an unknown id', async (_name, attack) => {
      const credential = await credentialOf(kind);
      const before = await tableFingerprint(t);
      const foreign = await send(attack, victim, credential);
      const nobody = await send(attack, unknownIds(), credential);
      expect(notFoundShape(foreign)).toEqual(notFoundShape(nobody));
      for (const secretOrId of [victim.orgId, victim.key, victim.endpointSecret, victim.partnerSecret]) expect(foreign.text).not.toContain(secretOrId);
      expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    });
  });

  it('still lets the victim use every object the attacks aimed at', async () => {
    const as = (path: string) => t.http.get(path).set('X-API-Key', victim.key);
    const release = await as(`/v1/releases/${victim.releaseId}`).expect(200);
    expect(release.body).toMatchObject({ title: 'victim release', status: 'draft', tracks: [{ id: victim.trackId, title: 'Sinnerman', audioUploadId: null }] });
    await as(`/v1/uploads/${victim.uploadId}/content`).expect(200);
    expect((await as(`/v1/api-keys/${victim.spareKeyId}`).expect(200)).body.revokedAt).toBeNull();
    expect((await as(`/v1/webhook-endpoints/${victim.endpointId}`).expect(200)).body).toMatchObject({ enabled: true, url: 'https://93.184.215.14/hooks/musicpub' });
    await t.http.get('/v1/releases').set('X-API-Key', victim.spareKey).expect(200);
  });

  describe('lists, cursors and filters', () => {
    async function walk(path: string, credential: [string, string]): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res: supertest.Response = await t.http.get(`${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`).set(...credential).expect(200);
        ids.push(...(res.body.data as Array<{ id: string }>).map((row) => row.id));
        expect(res.text).not.toContain(victim.orgId);
        cursor = res.body.nextCursor as string | null;
      } while (cursor);
      return ids;
    }

    it.each(['/v1/releases', '/v1/uploads', '/v1/api-keys', '/v1/webhook-endpoints', `/v1/audit-events`])('%s never lists another organization’s objects, on any page', async (path) => {
      const ids = await walk(path, ['X-API-Key', attacker.key]);
      expect(ids.length).toBeGreaterThan(0);
      const victimIds = [victim.releaseId, victim.emptyReleaseId, victim.uploadId, victim.keyId, victim.spareKeyId, victim.endpointId, victim.auditEventId];
      expect(ids.filter((id) => victimIds.includes(id))).toEqual([]);
    });

    it('lists only the attacker’s deliveries for the attacker’s endpoint', async () => {
      const ids = await walk(`/v1/webhook-endpoints/${attacker.endpointId}/deliveries`, ['X-API-Key', attacker.key]);
      expect(ids).toContain(attacker.messageId);
      expect(ids).not.toContain(victim.messageId);
    });

    /** Every id in a page must be one of the attacker's rows (the attacker's own audit trail may name victim ids it tried: those are its requests). */
    async function assertOwnRows(path: string, res: supertest.Response): Promise<void> {
      const ids = (res.body.data as Array<{ id: string }>).map((row) => row.id);
      const model = { '/v1/releases': t.prisma.release, '/v1/audit-events': t.prisma.auditEvent, '/v1/api-keys': t.prisma.apiKey, '/v1/uploads': t.prisma.upload, '/v1/webhook-endpoints': t.prisma.webhookEndpoint }[path.split('?')[0]] as unknown as {
        count(args: { where: { id: { in: string[] }; orgId: string } }): Promise<number>;
      };
      expect(await model.count({ where: { id: { in: ids }, orgId: attacker.orgId } })).toBe(ids.length);
      expect(res.text).not.toContain(victim.orgId);
    }

    it('cannot page into another organization with a forged cursor', async () => {
      for (const after of [victim.auditEventId, 'aud_ZZZZZZZZZZZZZZZZZZZZZZZZZZ', victim.releaseId, 'zzzz_ZZZZZZZZZZZZZZZZZZZZZZZZZZ']) {
        const cursor = Buffer.from(JSON.stringify({ after })).toString('base64url');
        for (const path of ['/v1/releases', '/v1/audit-events', '/v1/api-keys', '/v1/uploads', '/v1/webhook-endpoints']) {
          const res = await t.http.get(`${path}?limit=100&cursor=${cursor}`).set('X-API-Key', attacker.key).expect(200);
          await assertOwnRows(path, res);
        }
      }
    });

    it('finds only its own events when filtering the audit trail by another organization’s actor or resource', async () => {
      for (const query of [`actorId=${victim.keyId}`, `actorId=${victim.spareKeyId}`, `resourceId=${victim.releaseId}`, `resourceId=${victim.spareKeyId}`]) {
        const res = await t.http.get(`/v1/audit-events?limit=100&${query}`).set('X-API-Key', attacker.key).expect(200);
        await assertOwnRows('/v1/audit-events', res);
        if (query.startsWith('actorId')) expect(res.body.data).toEqual([]);
      }
    });

    it('verifies only the caller’s own audit chain', async () => {
      const mine = await t.prisma.auditEvent.count({ where: { orgId: attacker.orgId } });
      const res = await t.http.get('/v1/audit-events/verify').set('X-API-Key', attacker.key).expect(200);
      expect(res.body).toMatchObject({ ok: true });
      expect(res.body.checked).toBeGreaterThanOrEqual(mine);
      expect(res.body.checked).toBeLessThan(mine + 5);
    });
  });

  describe('references to other organizations’ objects inside requests', () => {
    it('refuses an upload tagged with another organization’s track, and stores nothing', async () => {
      const before = await t.prisma.upload.count();
      const res = await t.http
        .post('/v1/uploads')
        .set('X-API-Key', attacker.key)
        .field('trackId', victim.trackId)
        .attach('file', Buffer.from('RIFF'), { filename: 'x.wav', contentType: 'audio/wav' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain(victim.orgId);
      expect(await t.prisma.upload.count()).toBe(before);
    });

    it('does not let the attacker’s partner move another organization’s release', async () => {
      const body = JSON.stringify({ type: 'release.rejected', data: { releaseId: victim.releaseId, reason: 'sabotage' } });
      const id = `bola_${newId('evt')}`;
      const before = await tableFingerprint(t);
      const res = await t.http
        .post(`/v1/partners/${attacker.partnerId}/callbacks`)
        .set({ 'Content-Type': 'application/json', ...partnerCallbackHeaders(attacker.partnerSecret, id, body) })
        .send(body);
      expect(notFoundShape(res)).toMatchObject({ status: 404 });
      expect(res.text).not.toContain(victim.orgId);
      expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    });

    it('does not let a partner of one organization sign for another organization’s partner', async () => {
      const body = JSON.stringify({ type: 'release.rejected', data: { releaseId: victim.releaseId } });
      const id = `bola_${newId('evt')}`;
      const res = await t.http
        .post(`/v1/partners/${victim.partnerId}/callbacks`)
        .set({ 'Content-Type': 'application/json', ...partnerCallbackHeaders(attacker.partnerSecret, id, body) })
        .send(body);
      expectProblemJson(res, 401);
    });

    it('never replays another organization’s stored response for the same Idempotency-Key', async () => {
      const key = `shared-${newId('idem')}`;
      const body = { title: 'Same body', artists: ['Same Artist'] };
      const first = await t.http.post('/v1/releases').set('X-API-Key', victim.key).set('Idempotency-Key', key).send(body).expect(201);
      const second = await t.http.post('/v1/releases').set('X-API-Key', attacker.key).set('Idempotency-Key', key).send(body).expect(201);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(second.body.id).not.toBe(first.body.id);
      expect(second.text).not.toContain(victim.orgId);
      // The victim's other key (another credential of the same organization) does not get it either.
      const third = await t.http.post('/v1/releases').set('X-API-Key', victim.spareKey).set('Idempotency-Key', key).send(body).expect(201);
      expect(third.body.id).not.toBe(first.body.id);
    });
  });
});
