// API keys through the real guards (API guide: Authentication, API keys and rotation, issue 3 "Bad input"):
// every refused credential is a 401 problem+json with WWW-Authenticate and
// leaves the data untouched; key management never hands out a scope the
// caller lacks, never shows a secret twice, and rotates/revokes as promised.
import { createHmac } from 'node:crypto';
import type supertest from 'supertest';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { SCOPES } from '../src/platform/auth/scopes';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const PROBLEM_JSON = /^application\/problem\+json/;
const KEY_VIEW_FIELDS = ['allowedIps', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'requireSignedRequests', 'revokedAt', 'rotatedFromId', 'scopes', 'signingPublicKey'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectUnauthenticated(res: Res, reason: string): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="musicpub"/);
  expect(res.headers['www-authenticate']).toContain('ApiKey');
  expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', reason });
  expect(res.body.type).toMatch(/#unauthenticated$/);
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
}

function expectForbiddenScope(res: Res, missing: string[]): void {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.body).toMatchObject({ status: 403, title: 'Forbidden', missingScopes: missing });
  for (const scope of missing) expect(res.body.detail).toContain(scope);
}

describe('API keys (auth through the real guards)', () => {
  let t: TestApp;
  let pepper: Buffer;

  beforeAll(async () => {
    t = await startTestApp();
    pepper = Buffer.from(t.env.API_KEY_PEPPER, 'base64');
  });
  afterAll(() => t.close());

  /** What a refused request must not change: the org's keys and its outbox. */
  async function orgSnapshot(orgId: string): Promise<unknown> {
    const keys = await t.prisma.apiKey.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const events = await t.prisma.outboxEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    // lastUsedAt and dispatchedAt are written in the background (last-use tracker, webhook delivery).
    return { keys: keys.map(({ lastUsedAt: _used, ...rest }) => rest), events: events.map(({ dispatchedAt: _dispatched, ...rest }) => rest) };
  }

  async function createKey(admin: { key: string }, body: Record<string, unknown>): Promise<Res> {
    return t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'test key', ...body });
  }

  async function createdKey(admin: { key: string }, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const res = await createKey(admin, body);
    expect(res.status).toBe(201);
    return { id: res.body.id as string, key: res.body.key as string };
  }

  /** Waits for the access-log line of a request, so a "never logged" check sees everything that request logged. */
  async function logLinesOf(requestId: string): Promise<void> {
    for (let i = 0; i < 50 && !t.logs.some((l) => l.requestId === requestId && l.msg === 'request completed'); i++) await sleep(10);
  }

  describe('refused API keys', () => {
    it('refuses a missing credential with 401, WWW-Authenticate and problem+json', async () => {
      expectUnauthenticated(await t.http.get('/v1/api-keys'), 'credential_missing');
    });

    it.each([
      ['empty', ''],
      ['junk', 'not-a-key'],
      ['truncated', null],
      ['one character too many', null],
      ['uppercase prefix', null],
      ['unknown mode', null],
      ['non-base62 character', null],
      ['sent as "Bearer <key>" in X-API-Key', null],
      ['very long', 'mpk_live_' + 'A'.repeat(8000)],
    ])('refuses a malformed key (%s) as key_malformed, before any lookup, creating nothing', async (label, fixed) => {
      const admin = await createOrgWithKey(t);
      const valid = generateApiKey('live');
      const malformed: Record<string, string> = {
        truncated: admin.key.slice(0, -1),
        'one character too many': admin.key + 'A',
        'uppercase prefix': admin.key.replace('mpk_live_', 'MPK_LIVE_'),
        'unknown mode': valid.replace('mpk_live_', 'mpk_prod_'),
        'non-base62 character': admin.key.slice(0, 20) + '-' + admin.key.slice(21),
        'sent as "Bearer <key>" in X-API-Key': `Bearer ${admin.key}`,
      };
      const presented = fixed ?? malformed[label];
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', presented).send({ name: 'x', scopes: ['keys:read'] });
      expectUnauthenticated(res, 'key_malformed');
      expect(res.text).not.toContain(presented.slice(0, 40) || '\u0000');
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('refuses a key whose checksum does not match (valid shape, last character changed)', async () => {
      const admin = await createOrgWithKey(t);
      const last = admin.key.at(-1)!;
      const wrongChecksum = admin.key.slice(0, -1) + (last === 'A' ? 'B' : 'A');
      expect(wrongChecksum).toMatch(/^mpk_live_[0-9A-Za-z]{40}$/);
      const before = await orgSnapshot(admin.orgId);
      expectUnauthenticated(await t.http.post('/v1/api-keys').set('X-API-Key', wrongChecksum).send({ name: 'x', scopes: ['keys:read'] }), 'key_malformed');
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      // The untouched key still works: the refusal was about the checksum only.
      await t.http.get('/v1/api-keys').set('X-API-Key', admin.key).expect(200);
    });

    it.each(['live', 'test'] as const)('refuses a well-formed %s key that was never issued as key_unknown', async (mode) => {
      const admin = await createOrgWithKey(t);
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', generateApiKey(mode)).send({ name: 'x', scopes: ['keys:read'] });
      expectUnauthenticated(res, 'key_unknown');
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('refuses a revoked key at once (same instance), and its tokens too', async () => {
      const admin = await createOrgWithKey(t);
      const victim = await createdKey(admin, { scopes: ['keys:read', 'keys:write'] });
      const token = await tokenFor(t, { keyId: victim.id, key: victim.key });
      // Both are cached as usable before the revocation.
      await t.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
      await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).expect(200);

      await t.http.delete(`/v1/api-keys/${victim.id}`).set('X-API-Key', admin.key).expect(204);

      const before = await orgSnapshot(admin.orgId);
      expectUnauthenticated(await t.http.post('/v1/api-keys').set('X-API-Key', victim.key).send({ name: 'x', scopes: ['keys:read'] }), 'key_revoked');
      expectUnauthenticated(await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${token}`).send({ name: 'x', scopes: ['keys:read'] }), 'key_revoked');
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      const shown = await t.http.get(`/v1/api-keys/${victim.id}`).set('X-API-Key', admin.key).expect(200);
      expect(Date.parse(shown.body.revokedAt)).toBeLessThanOrEqual(Date.now());
    });

    it('refuses an expired key (expires_at in the past) and the tokens issued from it', async () => {
      const admin = await createOrgWithKey(t);
      const victim = await createdKey(admin, { scopes: ['keys:read'] });
      const token = await tokenFor(t, { keyId: victim.id, key: victim.key });
      await t.prisma.apiKey.update({ where: { id: victim.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      // The token endpoint cached the key as usable; the cache may serve it for < 1 s (API guide: Authentication).
      await sleep(800);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', victim.key), 'key_expired');
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`), 'key_expired');
    });

    it('stops a key at its expiresAt', async () => {
      const admin = await createOrgWithKey(t);
      const expiresAt = new Date(Date.now() + 1500);
      const victim = await createdKey(admin, { scopes: ['keys:read'], expiresAt: expiresAt.toISOString() });
      await t.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
      await sleep(expiresAt.getTime() - Date.now() + 20);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', victim.key), 'key_expired');
    });

    it('refuses both credentials at once (X-API-Key and Authorization)', async () => {
      const admin = await createOrgWithKey(t);
      const token = await tokenFor(t, admin);
      const res = await t.http.get('/v1/api-keys').set('X-API-Key', admin.key).set('Authorization', `Bearer ${token}`);
      expectUnauthenticated(res, 'ambiguous_credentials');
    });

    it('refuses an API key sent as a Bearer token', async () => {
      const admin = await createOrgWithKey(t);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${admin.key}`), 'token_invalid');
    });
  });

  describe('credentials in the query string', () => {
    it.each(['api_key', 'apiKey', 'api-key', 'x-api-key', 'key', 'access_token', 'token', 'client_secret'])(
      'refuses ?%s=<valid credential> with 401, with or without a valid header, and never logs it',
      async (name) => {
        const admin = await createOrgWithKey(t);
        const credential = name.includes('token') ? await tokenFor(t, admin) : admin.key;
        const query = `/v1/api-keys?${name}=${encodeURIComponent(credential)}`;

        const alone = await t.http.get(query);
        expectUnauthenticated(alone, 'credential_in_query');
        const withHeader = await t.http.get(query).set('X-API-Key', admin.key);
        expectUnauthenticated(withHeader, 'credential_in_query');

        await logLinesOf(alone.headers['x-request-id'] as string);
        await logLinesOf(withHeader.headers['x-request-id'] as string);
        const logged = JSON.stringify(t.logs);
        expect(logged).toContain(alone.headers['x-request-id']); // the request was logged…
        const leaking = t.logs.filter((line) => JSON.stringify(line).includes(credential.slice(15, 40)));
        expect(leaking).toEqual([]); // …without the credential
        expect(alone.text).not.toContain(credential);
      },
    );

    it('still serves ordinary query parameters next to a header credential', async () => {
      const admin = await createOrgWithKey(t);
      const res = await t.http.get('/v1/api-keys?limit=1').set('X-API-Key', admin.key).expect(200);
      expect(res.body.data).toHaveLength(1);
    });

    it('never logs a key-shaped value sent in any query parameter', async () => {
      // API guide: Authentication: "A key sent in the query string is … never logged". The key
      // format exists so a key is recognisable wherever it appears.
      const admin = await createOrgWithKey(t);
      const res = await t.http.get(`/v1/api-keys?q=${admin.key}`).set('X-API-Key', admin.key);
      await logLinesOf(res.headers['x-request-id'] as string);
      const leaking = t.logs.filter((line) => JSON.stringify(line).includes(admin.key)).map((line) => (line.req as { url?: string } | undefined)?.url ?? line.msg);
      expect(leaking).toEqual([]);
    });
  });

  describe('scopes', () => {
    it('answers 403 naming the missing scope when the key lacks it', async () => {
      const admin = await createOrgWithKey(t);
      const reader = await createdKey(admin, { scopes: ['releases:read'] });
      const res = await t.http.get('/v1/api-keys').set('X-API-Key', reader.key);
      expectForbiddenScope(res, ['keys:read']);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('refuses keys:write routes to a keys:read key and changes nothing', async () => {
      const admin = await createOrgWithKey(t);
      const reader = await createdKey(admin, { scopes: ['keys:read'] });
      const before = await orgSnapshot(admin.orgId);
      expectForbiddenScope(await t.http.post('/v1/api-keys').set('X-API-Key', reader.key).send({ name: 'x', scopes: ['keys:read'] }), ['keys:write']);
      expectForbiddenScope(await t.http.post(`/v1/api-keys/${admin.keyId}/rotate`).set('X-API-Key', reader.key).send({}), ['keys:write']);
      expectForbiddenScope(await t.http.delete(`/v1/api-keys/${admin.keyId}`).set('X-API-Key', reader.key), ['keys:write']);
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('refuses to create a key with a scope the caller lacks: 403, no row, no event', async () => {
      const admin = await createOrgWithKey(t);
      const limited = await createdKey(admin, { scopes: ['keys:read', 'keys:write', 'releases:read'] });
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', limited.key)
        .send({ name: 'escalation', scopes: ['releases:read', 'releases:write', 'audit:read'] });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.missingScopes).toEqual(['releases:write', 'audit:read']);
      expect(res.body.key).toBeUndefined();
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      // Its own scopes (or fewer) it may grant.
      await t.http.post('/v1/api-keys').set('X-API-Key', limited.key).send({ name: 'ok', scopes: ['releases:read'] }).expect(201);
    });

    it('limits a narrowed token to the token’s scopes, not its key’s, when creating keys', async () => {
      const admin = await createOrgWithKey(t);
      const token = await tokenFor(t, admin, 'keys:write');
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${token}`).send({ name: 'x', scopes: ['releases:read'] });
      expect(res.status).toBe(403);
      expect(res.body.missingScopes).toEqual(['releases:read']);
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it.each([
      ['the wildcard', ['*']],
      ['a namespace wildcard', ['keys:*']],
      ['an unknown scope', ['admin']],
      ['an empty list', []],
      ['a duplicate', ['keys:read', 'keys:read']],
      ['a string instead of a list', 'keys:read'],
    ])('refuses %s in scopes with a 400 field error and no row', async (_label, scopes) => {
      const admin = await createOrgWithKey(t);
      const before = await orgSnapshot(admin.orgId);
      const res = await createKey(admin, { scopes });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'scopes' })]));
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it.each([
      ['in the past', { expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt'],
      ['not a date', { expiresAt: 'tomorrow' }, 'expiresAt'],
      ['an unknown property', { orgId: 'org_x' }, 'orgId'],
    ])('refuses an expiry or body that is %s with a 400 field error', async (_label, extra, field) => {
      const admin = await createOrgWithKey(t);
      const before = await orgSnapshot(admin.orgId);
      const res = await createKey(admin, { scopes: ['keys:read'], ...extra });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });
  });

  describe('showing keys', () => {
    it('shows the key once at creation (Cache-Control: no-store) and never again in list or get', async () => {
      const admin = await createOrgWithKey(t);
      const res = await createKey(admin, { scopes: ['keys:read'], expiresAt: '2099-01-01T00:00:00.000Z' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.location).toBe(`/v1/api-keys/${res.body.id}`);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^key_[0-9A-Z]{26}$/),
        name: 'test key',
        key: expect.stringMatching(/^mpk_live_[0-9A-Za-z]{40}$/),
        prefix: (res.body.key as string).slice(0, 15),
        scopes: ['keys:read'],
        allowedIps: [],
        createdAt: expect.any(String),
        expiresAt: '2099-01-01T00:00:00.000Z',
        lastUsedAt: null,
        revokedAt: null,
        rotatedFromId: null,
        requireSignedRequests: null,
        signingPublicKey: null,
      });
      const key = res.body.key as string;
      expect(res.text.split(key)).toHaveLength(2); // exactly once

      const hash = createHmac('sha256', pepper).update(key).digest();
      const secrets = [key, key.slice(15), hash.toString('hex'), hash.toString('base64'), hash.toString('base64url')];
      const list = await t.http.get('/v1/api-keys').set('X-API-Key', key).expect(200);
      const one = await t.http.get(`/v1/api-keys/${res.body.id}`).set('X-API-Key', key).expect(200);
      const adminKey = await t.http.get(`/v1/api-keys/${admin.keyId}`).set('X-API-Key', key).expect(200);
      for (const view of [...list.body.data, one.body, adminKey.body]) expect(Object.keys(view).sort()).toEqual(KEY_VIEW_FIELDS);
      for (const text of [list.text, one.text, adminKey.text]) {
        for (const secret of [...secrets, admin.key]) expect(text).not.toContain(secret);
      }
      expect(one.body.prefix).toBe(key.slice(0, 15));
    });

    it('keeps the hash, and only the hash (HMAC-SHA-256 with the pepper), in the row', async () => {
      const admin = await createOrgWithKey(t);
      const { id, key } = await createdKey(admin, { scopes: ['keys:read'] });
      const row = await t.prisma.apiKey.findUniqueOrThrow({ where: { id } });
      expect(Buffer.from(row.keyHash).equals(createHmac('sha256', pepper).update(key).digest())).toBe(true);
      expect(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(key.slice(15));
    });
  });

  describe('rotation', () => {
    it('issues a new key with the same name, scopes and IPs; the old one works during the grace period', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { name: 'sync', scopes: ['keys:read', 'releases:read'], allowedIps: ['127.0.0.0/8', '::1'] });
      const before = Date.now();
      const res = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({});
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.location).toBe(`/v1/api-keys/${res.body.id}`);
      expect(res.body).toMatchObject({ name: 'sync', scopes: ['keys:read', 'releases:read'], allowedIps: ['127.0.0.0/8', '::1/128'], rotatedFromId: old.id });
      const fresh = res.body.key as string;
      expect(fresh).not.toBe(old.key);
      expect(res.body.id).not.toBe(old.id);
      expect(res.text.split(fresh)).toHaveLength(2);
      expect(res.text).not.toContain(old.key);

      await t.http.get('/v1/api-keys').set('X-API-Key', fresh).expect(200);
      await t.http.get('/v1/api-keys').set('X-API-Key', old.key).expect(200);
      const shownOld = await t.http.get(`/v1/api-keys/${old.id}`).set('X-API-Key', fresh).expect(200);
      // Default grace: 86400 s.
      expect(Date.parse(shownOld.body.expiresAt) - before).toBeGreaterThanOrEqual(86_400_000 - 1000);
      expect(Date.parse(shownOld.body.expiresAt) - Date.now()).toBeLessThanOrEqual(86_400_000 + 1000);
      const shownNew = await t.http.get(`/v1/api-keys/${res.body.id}`).set('X-API-Key', fresh).expect(200);
      expect(shownNew.body).not.toHaveProperty('key');
      expect(shownNew.body.rotatedFromId).toBe(old.id);
    });

    it('with gracePeriodSeconds 0 refuses the old key at once', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      await t.http.get('/v1/api-keys').set('X-API-Key', old.key).expect(200); // cached as usable
      const res = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: 0 }).expect(201);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', old.key), 'key_expired');
      await t.http.get('/v1/api-keys').set('X-API-Key', res.body.key as string).expect(200);
    });

    it('refuses the old key (and its tokens) once the grace period has passed', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      const token = await tokenFor(t, { keyId: old.id, key: old.key });
      const rotatedAt = Date.now();
      const res = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: 1 }).expect(201);
      await t.http.get('/v1/api-keys').set('X-API-Key', old.key).expect(200);
      await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).expect(200);
      await sleep(Math.max(0, rotatedAt + 1200 - Date.now()));
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', old.key), 'key_expired');
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`), 'key_expired');
      await t.http.get('/v1/api-keys').set('X-API-Key', res.body.key as string).expect(200);
    });

    it('refuses to rotate a key twice (409) and changes nothing', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      const first = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({}).expect(201);
      const before = await orgSnapshot(admin.orgId);
      const second = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({});
      expect(second.status).toBe(409);
      expect(second.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(second.body.key).toBeUndefined();
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      // The successor can be rotated in turn.
      await t.http.post(`/v1/api-keys/${first.body.id}/rotate`).set('X-API-Key', admin.key).send({}).expect(201);
    });

    it('lets exactly one of two concurrent rotations of the same key win', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      const results = await Promise.all([0, 1, 2].map(() => t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({})));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      expect(await t.prisma.apiKey.count({ where: { rotatedFromId: old.id } })).toBe(1);
      expect(await t.prisma.outboxEvent.count({ where: { orgId: admin.orgId, type: 'api_key.rotated' } })).toBe(1);
    });

    it('refuses to rotate a revoked key (409)', async () => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      await t.http.delete(`/v1/api-keys/${old.id}`).set('X-API-Key', admin.key).expect(204);
      const before = await orgSnapshot(admin.orgId);
      expect((await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({})).status).toBe(409);
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('refuses to rotate a key holding scopes the caller lacks (403, no new key, old key untouched)', async () => {
      const admin = await createOrgWithKey(t);
      const keyManager = await createdKey(admin, { scopes: ['keys:read', 'keys:write'] });
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post(`/v1/api-keys/${admin.keyId}/rotate`).set('X-API-Key', keyManager.key).send({ gracePeriodSeconds: 0 });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.key).toBeUndefined();
      expect(res.body.missingScopes).toEqual(expect.arrayContaining(['releases:write', 'audit:read']));
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      await t.http.get('/v1/api-keys').set('X-API-Key', admin.key).expect(200);
    });

    // Issue 14.2: rotation hands out a working secret, so it enforces what creation enforces.
    it.each([
      ['an IP allowlist', { allowedIps: ['127.0.0.0/8', '::1/128'] }, /allowlist/],
      ['an expiry', { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }, /outlive/],
    ])('refuses a key restricted by %s rotating an unrestricted key (403, nothing changes)', async (_limit, restriction, detail) => {
      const admin = await createOrgWithKey(t);
      const restricted = await createdKey(admin, { scopes: ['keys:read', 'keys:write', 'releases:read'], ...restriction });
      const target = await createdKey(admin, { scopes: ['releases:read'] });
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post(`/v1/api-keys/${target.id}/rotate`).set('X-API-Key', restricted.key).send({ gracePeriodSeconds: 0 });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.detail).toMatch(detail);
      expect(res.body.key).toBeUndefined();
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
      // The same refusal creation gives for the same limits.
      const created = await t.http.post('/v1/api-keys').set('X-API-Key', restricted.key).send({ name: 'wider', scopes: ['releases:read'], ...('allowedIps' in restriction ? { allowedIps: ['0.0.0.0/0'] } : { expiresAt: new Date(Date.now() + 7_200_000).toISOString() }) });
      expect(created.status).toBe(403);
      expect(created.body.detail).toMatch(detail);
      // A key within the restricted key's limits can still be rotated by it.
      const inside = await createdKey(admin, { scopes: ['releases:read'], ...restriction });
      await t.http.post(`/v1/api-keys/${inside.id}/rotate`).set('X-API-Key', restricted.key).send({}).expect(201);
    });

    it.each([[-1], [30 * 24 * 3600 + 1], [1.5], ['60'], [true]])('refuses gracePeriodSeconds %p with 400', async (grace) => {
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      const before = await orgSnapshot(admin.orgId);
      const res = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: grace });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'gracePeriodSeconds' })]));
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('never reads gracePeriodSeconds: null as 0 (refused, or the default grace)', async () => {
      // API guide: API keys and rotation: `{ gracePeriodSeconds? = 86400 }`; 0 is the explicit "stop now".
      const admin = await createOrgWithKey(t);
      const old = await createdKey(admin, { scopes: ['keys:read'] });
      const res = await t.http.post(`/v1/api-keys/${old.id}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: null });
      expect([201, 400]).toContain(res.status);
      await t.http.get('/v1/api-keys').set('X-API-Key', old.key).expect(200);
      const row = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: old.id } });
      if (res.status === 201) expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
      else expect(row.expiresAt).toBeNull();
    });
  });

  describe('revocation', () => {
    it('answers 204, is idempotent, and refuses the key from then on', async () => {
      const admin = await createOrgWithKey(t);
      const victim = await createdKey(admin, { scopes: ['keys:read'] });
      const res = await t.http.delete(`/v1/api-keys/${victim.id}`).set('X-API-Key', admin.key);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      await t.http.delete(`/v1/api-keys/${victim.id}`).set('X-API-Key', admin.key).expect(204);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', victim.key), 'key_revoked');
      expect(await t.prisma.outboxEvent.count({ where: { orgId: admin.orgId, type: 'api_key.revoked' } })).toBe(1);
    });

    it('lets a key revoke itself (incident response) and refuses it on the next request', async () => {
      const admin = await createOrgWithKey(t);
      await t.http.delete(`/v1/api-keys/${admin.keyId}`).set('X-API-Key', admin.key).expect(204);
      expectUnauthenticated(await t.http.get('/v1/api-keys').set('X-API-Key', admin.key), 'key_revoked');
    });

    it('answers 404 for an unknown key id', async () => {
      const admin = await createOrgWithKey(t);
      const res = await t.http.delete('/v1/api-keys/key_00000000000000000000000000').set('X-API-Key', admin.key);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    });
  });

  describe('outbox events', () => {
    it('writes api_key.created/rotated/revoked once each, none for refused requests, and no secret', async () => {
      const admin = await createOrgWithKey(t);
      const manager = await createdKey(admin, { scopes: ['keys:read', 'keys:write'] });
      const created = await createdKey(admin, { scopes: ['keys:read'] });
      const rotated = await t.http.post(`/v1/api-keys/${created.id}/rotate`).set('X-API-Key', admin.key).send({}).expect(201);
      const successor = { id: rotated.body.id as string, key: rotated.body.key as string };
      await t.http.delete(`/v1/api-keys/${successor.id}`).set('X-API-Key', admin.key).expect(204);

      // Refused: escalation, wildcard, invalid CIDR, second rotation, second revocation, bad credential.
      await createKey(manager, { scopes: ['releases:write'] }).then((r) => expect(r.status).toBe(403));
      await createKey(admin, { scopes: ['*'] }).then((r) => expect(r.status).toBe(400));
      await createKey(admin, { scopes: ['keys:read'], allowedIps: ['10.0.0.0/33'] }).then((r) => expect(r.status).toBe(400));
      await t.http.post(`/v1/api-keys/${created.id}/rotate`).set('X-API-Key', admin.key).send({}).expect(409);
      await t.http.post(`/v1/api-keys/${admin.keyId}/rotate`).set('X-API-Key', manager.key).send({}).expect(403);
      await t.http.delete(`/v1/api-keys/${successor.id}`).set('X-API-Key', admin.key).expect(204);
      await t.http.post('/v1/api-keys').set('X-API-Key', successor.key).send({ name: 'x', scopes: ['keys:read'] }).expect(401);

      const events = await t.prisma.outboxEvent.findMany({ where: { orgId: admin.orgId }, orderBy: { id: 'asc' } });
      expect(events.map((e) => [e.type, (e.data as { id: string }).id])).toEqual([
        ['api_key.created', admin.keyId],
        ['api_key.created', manager.id],
        ['api_key.created', created.id],
        ['api_key.rotated', successor.id],
        ['api_key.revoked', successor.id],
      ]);
      expect(events[3].data).toMatchObject({ rotatedFromId: created.id });
      const text = JSON.stringify(events.map((e) => e.data));
      for (const key of [admin.key, manager.key, created.key, successor.key]) {
        expect(text).not.toContain(key.slice(15));
        expect(text).not.toContain(createHmac('sha256', pepper).update(key).digest('hex'));
        expect(text).not.toContain(createHmac('sha256', pepper).update(key).digest('base64'));
      }
    });
  });

  describe('allowedIps without TRUSTED_PROXIES', () => {
    it('ignores X-Forwarded-For: the socket address decides', async () => {
      const admin = await createOrgWithKey(t);
      const remote = await createdKey(admin, { scopes: ['keys:read'], allowedIps: ['198.51.100.0/24'] });
      const local = await createdKey(admin, { scopes: ['keys:read'], allowedIps: ['127.0.0.0/8', '::1'] });
      const spoofed = await t.http.get('/v1/api-keys').set('X-API-Key', remote.key).set('X-Forwarded-For', '198.51.100.7');
      expect(spoofed.status).toBe(403);
      expect(spoofed.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(spoofed.body.reason).toBe('ip_not_allowed');
      await t.http.get('/v1/api-keys').set('X-API-Key', local.key).set('X-Forwarded-For', '198.51.100.7').expect(200);
    });
  });

  describe('lastUsedAt', () => {
    it('is written within about five seconds while the app runs', async () => {
      const admin = await createOrgWithKey(t);
      const used = await createdKey(admin, { scopes: ['keys:read'] });
      const usedAt = Date.now();
      for (let i = 0; i < 20; i++) await t.http.get('/v1/api-keys').set('X-API-Key', used.key).expect(200);
      let lastUsedAt: Date | null = null;
      while (lastUsedAt === null && Date.now() - usedAt < 6000) {
        await sleep(200);
        lastUsedAt = (await t.prisma.apiKey.findUniqueOrThrow({ where: { id: used.id } })).lastUsedAt;
      }
      expect(lastUsedAt).not.toBeNull();
      expect(lastUsedAt!.getTime()).toBeGreaterThanOrEqual(usedAt - 5);
    }, 15_000);
  });

  it('the organization’s first key (bootstrap service; the CLI itself: auth-tenancy) holds every scope', async () => {
    const admin = await createOrgWithKey(t);
    const res = await t.http.get(`/v1/api-keys/${admin.keyId}`).set('X-API-Key', admin.key).expect(200);
    expect([...res.body.scopes].sort()).toEqual([...SCOPES].sort());
  });
});
