// Credentials that defend themselves (issue 17), through the real app:
// incident response (revoke-all, a key's activity), leaked-key reports,
// rotation policy and expiry events, operational webhook events and partner
// secret rotation. Webhooks go to a real receiver that verifies them with
// the `standardwebhooks` package.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, WebhookReceiver } from './helpers/webhook-receiver';

// The secret-scanning partner's key pair, as GitHub holds it; the app knows the public half by configuration.
const scanner = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const SCANNER_KEY_ID = 'f2e5b3b8c7e2a9d1';

const ENV = {
  LEAK_REPORT_PUBLIC_KEYS: JSON.stringify({
    public_keys: [{ key_identifier: SCANNER_KEY_ID, key: scanner.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }],
  }),
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '50ms,50ms',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '700',
  KEY_EXPIRY_CHECK_INTERVAL_MS: '200',
  // Requests come from loopback; trusting it lets a test speak from other addresses (X-Forwarded-For).
  TRUSTED_PROXIES: 'loopback',
  SECURITY_ALERT_DENIALS: '4/60',
  SECURITY_ALERT_GRACE_END_SECONDS: '600',
};

const DAY_MS = 86_400_000;

describe('Credentials', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  /** What the receiver answers on a path (204 elsewhere). */
  const statusFor = new Map<string, number>();

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = (delivery) => ({ status: statusFor.get(delivery.path) ?? 204 });
    t = await startTestApp({ env: ENV });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  /** An organization whose webhook endpoint (path `/<name>`) receives `events`. */
  async function orgWithEndpoint(events: string[], path = `/${Math.random().toString(36).slice(2)}`): Promise<OrgWithKey & { path: string; endpointId: string }> {
    const org = await createOrgWithKey(t);
    const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(path), events });
    expect(res.status).toBe(201);
    receiver.secrets.push(res.body.secret);
    return { ...org, path, endpointId: res.body.id };
  }

  const deliveriesTo = (path: string) => receiver.deliveries.filter((d) => d.path === path);

  async function createKey(org: { key: string }, body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).send({ name: 'worker', scopes: ['releases:read'], ...body });
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key };
  }

  describe('revoke-all (incident response)', () => {
    it('revokes every other live key in one go: one audit event and one api_key.revoked webhook each; the caller is spared', async () => {
      const org = await orgWithEndpoint(['api_key.revoked']);
      const a = await createKey(org);
      const b = await createKey(org, { scopes: ['releases:read', 'releases:write'] });
      const spare = await createKey(org);
      const res = await t.http.post('/v1/api-keys/revoke-all').set('X-API-Key', org.key).send({ exceptKeyId: spare.id });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ revoked: 2, keyIds: [a.id, b.id].sort() });

      for (const key of [a, b]) expect((await t.http.get('/v1/releases').set('X-API-Key', key.key)).status).toBe(401);
      await t.http.get('/v1/releases').set('X-API-Key', spare.key).expect(200);
      await t.http.get('/v1/releases').set('X-API-Key', org.key).expect(200);

      const audited = await t.prisma.auditEvent.findMany({ where: { orgId: org.orgId, action: 'api_key.revoke' } });
      expect(audited.map((e) => e.resourceId).sort()).toEqual([a.id, b.id].sort());
      expect(audited.every((e) => e.actorId === org.keyId && e.outcome === 'success' && e.requestId === res.headers['x-request-id'])).toBe(true);
      await receiver.waitFor(() => deliveriesTo(org.path).length >= 2);
      const hooks = deliveriesTo(org.path);
      expect(hooks.map((d) => d.json.data.id).sort()).toEqual([a.id, b.id].sort());
      expect(hooks.every((d) => d.json.type === 'api_key.revoked' && d.verifiedWith.length === 1)).toBe(true);
    });

    it('revokes the caller too with includeSelf; refuses an unknown exceptKeyId (404) changing nothing', async () => {
      const org = await createOrgWithKey(t);
      const other = await createKey(org);
      const unknown = await t.http.post('/v1/api-keys/revoke-all').set('X-API-Key', org.key).send({ exceptKeyId: 'key_01JF3Z0000000000000000000A' });
      expect(unknown.status).toBe(404);
      await t.http.get('/v1/releases').set('X-API-Key', other.key).expect(200);
      const res = await t.http.post('/v1/api-keys/revoke-all').set('X-API-Key', org.key).send({ includeSelf: true });
      expect(res.body.revoked).toBe(2);
      expect((await t.http.get('/v1/releases').set('X-API-Key', org.key)).status).toBe(401);
    });

    it('refuses a key that lacks the scopes of a key it would revoke (403, nothing revoked), and unknown properties (400)', async () => {
      const org = await createOrgWithKey(t);
      const manager = await createKey(org, { scopes: ['keys:read', 'keys:write'] });
      const res = await t.http.post('/v1/api-keys/revoke-all').set('X-API-Key', manager.key).send({});
      expect(res.status).toBe(403);
      expect(res.body.missingScopes).toEqual(expect.arrayContaining(['releases:write']));
      await t.http.get('/v1/releases').set('X-API-Key', org.key).expect(200);
      expect(await t.prisma.apiKey.count({ where: { orgId: org.orgId, revokedAt: { not: null } } })).toBe(0);
      expect((await t.http.post('/v1/api-keys/revoke-all').set('X-API-Key', org.key).send({ everything: true })).status).toBe(400);
    });
  });

  describe('a key’s activity', () => {
    it('pages the audit events the key (and its tokens) acted in, newest first, for this organization only', async () => {
      const org = await createOrgWithKey(t);
      const worker = await createKey(org, { scopes: ['releases:read', 'releases:write'] });
      await t.http.post('/v1/releases').set('X-API-Key', worker.key).send({ title: 'A Love Supreme', artists: ['John Coltrane'] }).expect(201);
      await t.http.post('/v1/releases').set('X-API-Key', worker.key).send({ title: 'Giant Steps', artists: ['John Coltrane'] }).expect(201);
      await t.http.delete('/v1/api-keys/key_01JF3Z0000000000000000000A').set('X-API-Key', worker.key).expect(403);

      const first = await t.http.get(`/v1/api-keys/${worker.id}/activity`).query({ limit: 2 }).set('X-API-Key', org.key).expect(200);
      expect(first.body.data.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual(['auth.authorize:denied', 'release.create:success']);
      expect(first.body.data.every((e: { actor: { id: string } }) => e.actor.id === worker.id)).toBe(true);
      const second = await t.http.get(`/v1/api-keys/${worker.id}/activity`).query({ limit: 2, cursor: first.body.nextCursor }).set('X-API-Key', org.key).expect(200);
      expect(second.body.data.map((e: { action: string }) => e.action)).toEqual(['release.create']);
      expect(second.body.nextCursor).toBeNull();

      const stranger = await createOrgWithKey(t);
      expect((await t.http.get(`/v1/api-keys/${worker.id}/activity`).set('X-API-Key', stranger.key)).status).toBe(404);
      const keysOnly = await createKey(org, { scopes: ['keys:read'] });
      expect((await t.http.get(`/v1/api-keys/${worker.id}/activity`).set('X-API-Key', keysOnly.key)).body.missingScopes).toEqual(['audit:read']);
    });
  });

  describe('leaked-key reports (GitHub secret scanning partner program)', () => {
    /** Sends `report` signed exactly as GitHub signs: ECDSA P-256 SHA-256 over the raw body, DER, base64. */
    function report(body: string, headers: Record<string, string> = {}) {
      const signature = sign('sha256', Buffer.from(body), scanner.privateKey).toString('base64');
      return t.http
        .post('/v1/credential-leaks')
        .set('Content-Type', 'application/json')
        .set({ 'GITHUB-PUBLIC-KEY-IDENTIFIER': SCANNER_KEY_ID, 'GITHUB-PUBLIC-KEY-SIGNATURE': signature, ...headers })
        .send(body);
    }
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    it('revokes a reported live key in the same request, audits where it was found, tells its organization; labels every token', async () => {
      const org = await orgWithEndpoint(['api_key.leaked']);
      const leaked = await createKey(org);
      const token = await tokenFor(t, { keyId: leaked.id, key: leaked.key });
      const dead = await createKey(org);
      await t.http.delete(`/v1/api-keys/${dead.id}`).set('X-API-Key', org.key).expect(204);
      const mangled = leaked.key.slice(0, -1) + (leaked.key.endsWith('A') ? 'B' : 'A');
      const url = 'https://github.com/octo/leaky/blob/0123abc/config.js';
      const body = JSON.stringify([
        { token: leaked.key, type: 'musicpub_api_key', url, source: 'content' },
        { token: dead.key, type: 'musicpub_api_key', url, source: 'commit' },
        { token: mangled, type: 'musicpub_api_key', url, source: 'content' },
        { token: 'not-a-key', type: 'musicpub_api_key', url, source: 'content' },
      ]);
      const res = await report(body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { token_hash: sha256(leaked.key), token_type: 'musicpub_api_key', label: 'true_positive' },
        { token_hash: sha256(dead.key), token_type: 'musicpub_api_key', label: 'true_positive' },
        { token_hash: sha256(mangled), token_type: 'musicpub_api_key', label: 'false_positive' },
        { token_hash: sha256('not-a-key'), token_type: 'musicpub_api_key', label: 'false_positive' },
      ]);
      expect(res.text).not.toContain(leaked.key);

      expect((await t.http.get('/v1/releases').set('X-API-Key', leaked.key)).status).toBe(401);
      expect((await t.http.get('/v1/releases').set('Authorization', `Bearer ${token}`)).status).toBe(401);
      const audited = await t.prisma.auditEvent.findMany({ where: { orgId: org.orgId, action: 'api_key.leaked' }, orderBy: { seq: 'asc' } });
      expect(audited.map((e) => [e.resourceId, (e.changes as { revoked: boolean }).revoked])).toEqual([[leaked.id, true], [dead.id, false]]);
      expect(audited[0]).toMatchObject({ actorType: 'system', actorId: 'secret-scanning', changes: expect.objectContaining({ url, source: 'content' }) });
      expect(JSON.stringify(audited.map((e) => e.changes))).not.toContain(leaked.key);

      await receiver.waitFor(() => deliveriesTo(org.path).length >= 2);
      const hooks = deliveriesTo(org.path);
      expect(hooks.every((d) => d.json.type === 'api_key.leaked' && d.verifiedWith.length === 1)).toBe(true);
      expect(hooks.find((d) => d.json.data.id === leaked.id)!.json.data).toMatchObject({ revokedByReport: true, url, source: 'content', revokedAt: expect.any(String) });
      // Each reported key also raises a security alert (issue 17.4).
      const alerts = await t.prisma.outboxEvent.findMany({ where: { orgId: org.orgId, type: 'security.alert' } });
      expect(alerts.map((a) => [(a.data as { rule: string }).rule, (a.data as { keyId: string }).keyId]).sort()).toEqual([['leaked_key', dead.id], ['leaked_key', leaked.id]].sort());
    });

    it.each<[string, (body: string) => Record<string, string>, string]>([
      ['unsigned', () => ({ 'GITHUB-PUBLIC-KEY-IDENTIFIER': '', 'GITHUB-PUBLIC-KEY-SIGNATURE': '' }), 'missing_headers'],
      ['signed over another body', () => ({ 'GITHUB-PUBLIC-KEY-SIGNATURE': sign('sha256', Buffer.from('[]'), scanner.privateKey).toString('base64') }), 'bad_signature'],
      ['signed by another key', (body) => ({ 'GITHUB-PUBLIC-KEY-SIGNATURE': sign('sha256', Buffer.from(body), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey).toString('base64') }), 'bad_signature'],
      ['naming an unknown key id', () => ({ 'GITHUB-PUBLIC-KEY-IDENTIFIER': 'not-configured' }), 'unknown_key'],
      ['with a garbage signature', () => ({ 'GITHUB-PUBLIC-KEY-SIGNATURE': 'AAAA' }), 'bad_signature'],
    ])('refuses a report %s with 401 and revokes nothing', async (_case, headers, reason) => {
      const org = await orgWithEndpoint(['api_key.leaked']);
      const key = await createKey(org);
      const body = JSON.stringify([{ token: key.key, type: 'musicpub_api_key', url: 'https://github.com/x', source: 'content' }]);
      const res = await report(body, headers(body));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ status: 401, reason });
      expect(res.text).not.toContain('positive');
      await t.http.get('/v1/releases').set('X-API-Key', key.key).expect(200);
      expect(await t.prisma.outboxEvent.count({ where: { orgId: org.orgId, type: 'api_key.leaked' } })).toBe(0);
    });

    it('refuses a signed report that is not an array of { token, type, url, source } (400)', async () => {
      const res = await report(JSON.stringify({ token: 'x' }));
      expect(res.status).toBe(400);
      const entry = await report(JSON.stringify([{ token: 5, type: 'musicpub_api_key' }]));
      expect(entry.status).toBe(400);
      expect(entry.body.errors).toEqual([expect.objectContaining({ field: '[0].token' })]);
    });
  });

  describe('rotation policy and expiry events', () => {
    it('reads the defaults, replaces the policy (keys:write), and refuses bad values (400)', async () => {
      const org = await createOrgWithKey(t);
      expect((await t.http.get('/v1/key-policy').set('X-API-Key', org.key).expect(200)).body).toEqual({ maxKeyAgeDays: null, expiryNoticeDays: 14, updatedAt: null });
      const put = await t.http.put('/v1/key-policy').set('X-API-Key', org.key).send({ maxKeyAgeDays: 30 }).expect(200);
      expect(put.body).toEqual({ maxKeyAgeDays: 30, expiryNoticeDays: 14, updatedAt: expect.any(String) });
      expect((await t.http.get('/v1/key-policy').set('X-API-Key', org.key)).body).toEqual(put.body);
      for (const bad of [{ maxKeyAgeDays: 0 }, { maxKeyAgeDays: 1.5 }, { expiryNoticeDays: 'soon' }, { maxKeyAgeDays: 30, extra: 1 }]) {
        expect((await t.http.put('/v1/key-policy').set('X-API-Key', org.key).send(bad)).status).toBe(400);
      }
      const reader = await createKey(org, { scopes: ['keys:read'] });
      await t.http.get('/v1/key-policy').set('X-API-Key', reader.key).expect(200);
      expect((await t.http.put('/v1/key-policy').set('X-API-Key', reader.key).send({})).body.missingScopes).toEqual(['keys:write']);
    });

    it('under maxKeyAgeDays: defaults a new key’s expiry to it, refuses a longer one with a field error, renews on rotation', async () => {
      const org = await createOrgWithKey(t);
      await t.http.put('/v1/key-policy').set('X-API-Key', org.key).send({ maxKeyAgeDays: 30 }).expect(200);
      const defaulted = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).send({ name: 'n', scopes: ['releases:read'] }).expect(201);
      expect(Math.abs(Date.parse(defaulted.body.expiresAt) - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);
      const tooLong = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).send({ name: 'n', scopes: ['releases:read'], expiresAt: new Date(Date.now() + 31 * DAY_MS).toISOString() });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.errors).toEqual([expect.objectContaining({ field: 'expiresAt', message: expect.stringContaining('30 days') })]);
      const shorter = new Date(Date.now() + 2 * DAY_MS).toISOString();
      const short = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).send({ name: 'n', scopes: ['releases:read'], expiresAt: shorter }).expect(201);
      expect(short.body.expiresAt).toBe(shorter);
      const rotated = await t.http.post(`/v1/api-keys/${short.body.id}/rotate`).set('X-API-Key', org.key).send({}).expect(201);
      expect(Math.abs(Date.parse(rotated.body.expiresAt) - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);
    });

    it('sends api_key.expiring once inside the notice window and api_key.expired once the key has expired; lists expiring keys', async () => {
      const org = await orgWithEndpoint(['api_key.expiring', 'api_key.expired']);
      await t.http.put('/v1/key-policy').set('X-API-Key', org.key).send({ expiryNoticeDays: 7 }).expect(200);
      const soon = await createKey(org, { expiresAt: new Date(Date.now() + 3 * DAY_MS).toISOString() });
      const later = await createKey(org, { expiresAt: new Date(Date.now() + 20 * DAY_MS).toISOString() });
      const ending = await createKey(org, { expiresAt: new Date(Date.now() + 1500).toISOString() });

      const listed = await t.http.get('/v1/api-keys').query({ expiringWithinDays: 7 }).set('X-API-Key', org.key).expect(200);
      expect(listed.body.data.map((k: { id: string }) => k.id).sort()).toEqual([soon.id, ending.id].sort());
      expect((await t.http.get('/v1/api-keys').query({ expiringWithinDays: -1 }).set('X-API-Key', org.key)).status).toBe(400);

      await receiver.waitFor(() => deliveriesTo(org.path).some((d) => d.json.type === 'api_key.expired'), 6000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // a few more passes: nothing is sent twice
      const hooks = deliveriesTo(org.path).map((d) => `${d.json.type}:${d.json.data.id}`).sort();
      expect(hooks).toEqual([`api_key.expired:${ending.id}`, `api_key.expiring:${ending.id}`, `api_key.expiring:${soon.id}`].sort());
      expect(hooks.join()).not.toContain(later.id);
      expect(deliveriesTo(org.path).every((d) => d.verifiedWith.length === 1)).toBe(true);
      expect(deliveriesTo(org.path).find((d) => d.json.type === 'api_key.expiring' && d.json.data.id === soon.id)!.json.data.expiresAt).toEqual(expect.any(String));
    });
  });

  describe('operational webhook events', () => {
    it('tells the organization’s other subscribed endpoints when an endpoint is disabled (410) and when a message exhausts its retries', async () => {
      const org = await orgWithEndpoint(['webhook_endpoint.disabled', 'webhook_message.failed']);
      const add = async (path: string, events: string[], status: number) => {
        statusFor.set(path, status);
        const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: receiver.url(path), events }).expect(201);
        receiver.secrets.push(res.body.secret);
        return res.body.id as string;
      };
      const gonePath = `/gone-${org.orgId}`;
      const brokenPath = `/broken-${org.orgId}`;
      const gone = await add(gonePath, ['release.created'], 410);
      const broken = await add(brokenPath, ['release.created', 'webhook_message.failed', 'webhook_endpoint.disabled'], 500);
      await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'Mingus Ah Um', artists: ['Charles Mingus'] }).expect(201);

      const about = (type: string, endpointId: string) => (d: { json: { type: string; data: { endpointId: string } } }) => d.json.type === type && d.json.data.endpointId === endpointId;
      await receiver.waitFor(() => deliveriesTo(org.path).some(about('webhook_endpoint.disabled', gone)) && deliveriesTo(org.path).some(about('webhook_message.failed', broken)), 8000);
      const disabled = deliveriesTo(org.path).find(about('webhook_endpoint.disabled', gone))!;
      expect(disabled.json.data).toEqual({ endpointId: gone, reason: 'gone', disabledAt: expect.stringMatching(/Z$/) });
      expect(disabled.verifiedWith).toHaveLength(1);
      const failed = deliveriesTo(org.path).find(about('webhook_message.failed', broken))!;
      expect(failed.json.data).toMatchObject({ endpointId: broken, eventType: 'release.created', attempts: 3, lastStatusCode: 500, messageId: expect.stringMatching(/^msg_/) });
      expect((await t.http.get(`/v1/webhook-endpoints/${gone}`).set('X-API-Key', org.key)).body).toMatchObject({ enabled: false });

      // The failing endpoint never hears about itself; it does hear about the other one.
      await receiver.waitFor(() => deliveriesTo(brokenPath).some(about('webhook_endpoint.disabled', gone)));
      expect(deliveriesTo(brokenPath).some((d) => d.json.data?.endpointId === broken)).toBe(false);
      // Its own failures to receive those operational events raise no further events (no ping-pong).
      await new Promise((resolve) => setTimeout(resolve, 600));
      const failedEvents = await t.prisma.outboxEvent.findMany({ where: { orgId: org.orgId, type: 'webhook_message.failed' } });
      expect(failedEvents.every((e) => !['webhook_message.failed', 'webhook_endpoint.disabled'].includes((e.data as { eventType: string }).eventType))).toBe(true);
      expect(await t.prisma.outboxEvent.count({ where: { orgId: org.orgId, type: 'webhook_endpoint.disabled' } })).toBe(1);
    });
  });

  describe('security alerts', () => {
    const alertsOf = async (orgId: string) =>
      (await t.prisma.outboxEvent.findMany({ where: { orgId, type: 'security.alert' }, orderBy: { id: 'asc' } })).map((e) => e.data as { rule: string; keyId: string | null; ip: string | null });

    it('reports a key used from an address outside its recent ones, once per cooldown, as a webhook and an audit event', async () => {
      const org = await orgWithEndpoint(['security.alert']);
      const key = await createKey(org);
      const from = (ip: string) => t.http.get('/v1/releases').set('X-API-Key', key.key).set('X-Forwarded-For', ip).expect(200);
      await from('198.51.100.7');
      await eventually(() => t.prisma.apiKeyAddress.count({ where: { keyId: key.id } }));
      await from('198.51.100.7');
      await from('203.0.113.9');
      await from('203.0.113.9');
      const [delivery] = await receiver.waitFor(() => deliveriesTo(org.path).length >= 1).then(() => deliveriesTo(org.path));
      expect(delivery.json).toMatchObject({ type: 'security.alert', data: { rule: 'new_address', keyId: key.id, ip: '203.0.113.9', detail: expect.any(String) } });
      expect(delivery.verifiedWith).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await alertsOf(org.orgId)).toHaveLength(1);
      const audited = await t.prisma.auditEvent.findFirstOrThrow({ where: { orgId: org.orgId, action: 'security.alert' } });
      expect(audited).toMatchObject({ actorType: 'system', actorId: 'security-alerts', resourceId: key.id, ip: '203.0.113.9' });
    });

    it('reports N denied requests for one organization within the window, once per cooldown', async () => {
      const org = await orgWithEndpoint(['security.alert']);
      const reader = await createKey(org, { scopes: ['keys:read'] });
      for (let i = 0; i < 6; i++) await t.http.delete(`/v1/api-keys/${org.keyId}`).set('X-API-Key', reader.key).expect(403);
      await receiver.waitFor(() => deliveriesTo(org.path).some((d) => d.json.data.rule === 'denials'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const alerts = await alertsOf(org.orgId);
      expect(alerts.filter((a) => a.rule === 'denials')).toEqual([expect.objectContaining({ rule: 'denials', threshold: 4, windowSeconds: 60 })]);
    });

    it('reports a rotated key still used near the end of its grace period', async () => {
      const org = await orgWithEndpoint(['security.alert']);
      const old = await createKey(org);
      await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', org.key).send({ gracePeriodSeconds: 300 }).expect(201);
      await t.http.get('/v1/releases').set('X-API-Key', old.key).expect(200);
      await t.http.get('/v1/releases').set('X-API-Key', old.key).expect(200);
      await receiver.waitFor(() => deliveriesTo(org.path).some((d) => d.json.data.rule === 'rotated_key_in_use'));
      expect((await alertsOf(org.orgId)).filter((a) => a.rule === 'rotated_key_in_use')).toEqual([expect.objectContaining({ keyId: old.id, expiresAt: expect.any(String) })]);
    });
  });
});
