// Idempotency-Key on one instance (API guide: Idempotency, issue 7), driven through the
// stable API-keys routes: a create is a row in api_keys plus an
// `api_key.created` outbox event, so "the side effect ran once" is countable.
// Each test makes its own organization; keys are random per test.
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { IdempotencyPurge } from '../src/platform/idempotency/idempotency-purge';
import { OutboxWriter } from '../src/platform/outbox/outbox-writer';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const PROBLEM_JSON = /^application\/problem\+json/;
/** What a replay must repeat (API guide: Idempotency: status, body, Location/ETag; plus the media type and no-store). */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type', 'cache-control'];

const newKey = () => `idem-${randomUUID()}`;
const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

function expectReplayOf(replay: Res, original: Res): void {
  expect(original.headers['idempotent-replayed']).toBeUndefined();
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.status).toBe(original.status);
  expect(replay.text).toBe(original.text); // byte for byte
  for (const name of REPLAYED_HEADERS) expect([name, replay.headers[name]]).toEqual([name, original.headers[name]]);
}

/** "original" (ran the handler), "replay", or the status of a refusal: a readable summary of a race. */
function outcomeOf(res: Res): string {
  if (res.status >= 400) return String(res.status);
  return res.headers['idempotent-replayed'] === 'true' ? 'replay' : 'original';
}

function expectProblem(res: Res, status: number, typeSlug?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.body.status).toBe(status);
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  if (typeSlug) expect(res.body.type).toMatch(new RegExp(`#${typeSlug}$`));
}

describe('Idempotency-Key (one instance)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  function createKey(credential: { key: string } | { token: string }, idempotencyKey: string | undefined, body: object): supertest.Test {
    const req = t.http.post('/v1/api-keys');
    if ('key' in credential) req.set('X-API-Key', credential.key);
    else req.set('Authorization', `Bearer ${credential.token}`);
    if (idempotencyKey !== undefined) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  }

  /** The side effects of "create a key named `name`": rows and outbox events. */
  async function sideEffects(orgId: string, name: string): Promise<{ rows: number; events: number }> {
    const rows = await t.prisma.apiKey.count({ where: { orgId, name } });
    const events = (await t.prisma.outboxEvent.findMany({ where: { orgId, type: 'api_key.created' } })).filter(
      (e) => (e.data as { name?: string }).name === name,
    ).length;
    return { rows, events };
  }

  const records = (orgId: string) => t.prisma.idempotencyRecord.findMany({ where: { orgId } });

  /** Holds the next outbox write (inside the handler's transaction) until released. */
  function holdNextOutboxWrite(): { reached: Promise<void>; release: () => void } {
    const outbox = t.app.get(OutboxWriter);
    const original = outbox.record.bind(outbox);
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(outbox, 'record').mockImplementationOnce(async (...args: Parameters<OutboxWriter['record']>) => {
      reached();
      await gate;
      return original(...args);
    });
    return { reached: reachedP, release };
  }

  describe('replay', () => {
    it('replays a finished request byte for byte with Idempotent-Replayed, running it once', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('replayed'), scopes: ['keys:read'] };

      const original = await createKey(admin, key, body);
      expect(original.status).toBe(201);
      expect(original.headers.location).toBe(`/v1/api-keys/${original.body.id}`);
      const replays = [await createKey(admin, key, body), await createKey(admin, key, body)];
      for (const replay of replays) expectReplayOf(replay, original);

      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      const stored = await records(admin.orgId);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ key, responseStatus: 201 });
      // The replayed secret is the one key that exists, not a second minted one.
      await t.http.get('/v1/api-keys').set('X-API-Key', replays[1].body.key).expect(200);
    });

    it('treats key order and whitespace in the body as the same request (canonical JSON)', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const name = uniqueName('canonical');
      const original = await createKey(admin, key, { name, scopes: ['keys:read'] });
      expect(original.status).toBe(201);
      const reordered = await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', admin.key)
        .set('Idempotency-Key', key)
        .set('Content-Type', 'application/json')
        .send(`{ "scopes" : [ "keys:read" ],\n  "name": ${JSON.stringify(name)} }`);
      expectReplayOf(reordered, original);
      expect(await sideEffects(admin.orgId, name)).toEqual({ rows: 1, events: 1 });
    });

    it('addresses one record with the bare (Stripe) and the sf-string (IETF) form of a key', async () => {
      const admin = await createOrgWithKey(t);
      const plain = newKey();
      const body = { name: uniqueName('forms'), scopes: ['keys:read'] };
      const bare = await createKey(admin, plain, body);
      expect(bare.status).toBe(201);
      expectReplayOf(await createKey(admin, `"${plain}"`, body), bare);

      // And the other way round, with the escapes RFC 8941 §3.3.3 defines.
      const escapedBody = { name: uniqueName('forms escaped'), scopes: ['keys:read'] };
      const quoted = await createKey(admin, '"a \\"quoted\\" \\\\ key"', escapedBody);
      expect(quoted.status).toBe(201);
      expectReplayOf(await createKey(admin, 'a "quoted" \\ key', escapedBody), quoted);

      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      expect(await sideEffects(admin.orgId, escapedBody.name)).toEqual({ rows: 1, events: 1 });
      expect((await records(admin.orgId)).map((r) => r.key).sort()).toEqual(['a "quoted" \\ key', plain].sort());
    });

    it('never stores the response in clear (a key-creation response holds the key)', async () => {
      const admin = await createOrgWithKey(t);
      const body = { name: uniqueName('sealed'), scopes: ['keys:read'] };
      const res = await createKey(admin, newKey(), body);
      expect(res.status).toBe(201);
      const [record] = await records(admin.orgId);
      const stored = JSON.stringify(record);
      expect(stored).not.toContain(res.body.key);
      expect(stored).not.toContain(res.body.key.slice(-20));
      expect(record.responseBody).not.toContain(body.name);
      expect(() => JSON.parse(record.responseBody!)).toThrow();
    });

    it('does not replay a stored response sealed for another organization (ciphertext bound to its scope)', async () => {
      const a = await createOrgWithKey(t);
      const b = await createOrgWithKey(t);
      const key = newKey();
      const aRes = await createKey(a, key, { name: 'same', scopes: ['keys:read'] });
      const bRes = await createKey(b, key, { name: 'same', scopes: ['keys:read'] });
      expect([aRes.status, bRes.status]).toEqual([201, 201]);
      // A database-level mix-up (or an attacker with write access to the table)
      // copies A's sealed body into B's record: it must not open there.
      const [aRecord] = await records(a.orgId);
      await t.prisma.idempotencyRecord.updateMany({ where: { orgId: b.orgId, key }, data: { responseBody: aRecord.responseBody } });
      const replay = await createKey(b, key, { name: 'same', scopes: ['keys:read'] });
      expect(replay.status).toBeGreaterThanOrEqual(500);
      expect(replay.text).not.toContain(aRes.body.key);
      expect(replay.text).not.toContain(aRes.body.id);
    });
  });

  describe('mismatch', () => {
    it('answers 422 for the same key with another body or another path, and changes nothing', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('first use'), scopes: ['keys:read'] };
      const original = await createKey(admin, key, body);
      expect(original.status).toBe(201);

      const otherBody = await createKey(admin, key, { ...body, scopes: ['keys:read', 'keys:write'] });
      expectProblem(otherBody, 422, 'idempotency-key-reused');
      expect(otherBody.text).not.toContain(original.body.key);
      expect(otherBody.headers['idempotent-replayed']).toBeUndefined();

      const otherName = await createKey(admin, key, { ...body, name: uniqueName('other') });
      expectProblem(otherName, 422, 'idempotency-key-reused');

      // Same key on another route (rotating the key just created): refused, and not rotated.
      const otherPath = await t.http.post(`/v1/api-keys/${original.body.id}/rotate`).set('X-API-Key', admin.key).set('Idempotency-Key', key).send({});
      expectProblem(otherPath, 422, 'idempotency-key-reused');
      expect(await t.prisma.apiKey.count({ where: { rotatedFromId: original.body.id } })).toBe(0);
      expect((await t.prisma.apiKey.findUniqueOrThrow({ where: { id: original.body.id } })).expiresAt).toBeNull();

      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      expect(await t.prisma.apiKey.count({ where: { orgId: admin.orgId } })).toBe(2);
      // The record is intact: the original request still replays.
      expectReplayOf(await createKey(admin, key, body), original);
    });
  });

  describe('invalid keys', () => {
    it.each([
      ['empty', ''],
      ['256 characters', 'k'.repeat(256)],
      ['non-ASCII', 'clé-idempotence'],
      ['a control character', 'a\tb'],
      ['an unterminated sf-string', '"abc'],
      ['an sf-string with a bad escape', '"a\\nb"'],
      ['an empty sf-string', '""'],
      ['an sf-string over 255 characters once unquoted', `"${'k'.repeat(256)}"`],
    ])('refuses %s with 400 and stores nothing', async (_label, value) => {
      const admin = await createOrgWithKey(t);
      const name = uniqueName('invalid key');
      const res = await createKey(admin, value, { name, scopes: ['keys:read'] });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(await sideEffects(admin.orgId, name)).toEqual({ rows: 0, events: 0 });
      expect(await records(admin.orgId)).toEqual([]);
    });

    it('accepts exactly 255 printable characters', async () => {
      const admin = await createOrgWithKey(t);
      const key = `~ !${'k'.repeat(252)}`;
      expect(key).toHaveLength(255);
      const body = { name: uniqueName('255'), scopes: ['keys:read'] };
      const original = await createKey(admin, key, body);
      expect(original.status).toBe(201);
      expectReplayOf(await createKey(admin, key, body), original);
    });
  });

  describe('concurrency', () => {
    it('runs 8 concurrent duplicates once: the others get 409 (in flight) or the replay', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('concurrent'), scopes: ['keys:read'] };
      const responses = await Promise.all(Array.from({ length: 8 }, () => createKey(admin, key, body)));

      const outcomes = responses.map(outcomeOf);
      expect(outcomes.filter((o) => o === 'original')).toEqual(['original']);
      for (const outcome of outcomes) expect(['original', 'replay', '409']).toContain(outcome);
      const originals = responses.filter((r) => outcomeOf(r) === 'original');
      for (const res of responses) {
        if (res === originals[0]) continue;
        if (res.status === 409) {
          expectProblem(res, 409, 'idempotency-key-in-use');
          expect(res.headers['retry-after']).toBeDefined();
        } else {
          expectReplayOf(res, originals[0]);
        }
      }
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      expectReplayOf(await createKey(admin, key, body), originals[0]);
    });

    it('answers every duplicate with 409 while the first is in flight, and none of them runs', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('in flight'), scopes: ['keys:read'] };
      const hold = holdNextOutboxWrite();
      const first = createKey(admin, key, body).then((res) => res);
      let duplicates: Res[] = [];
      let otherBody: Res;
      try {
        await hold.reached; // the first request has written its key row and waits inside its transaction
        duplicates = [];
        for (let i = 0; i < 3; i++) duplicates.push(await createKey(admin, key, body));
        otherBody = await createKey(admin, key, { ...body, name: uniqueName('other') });
      } finally {
        hold.release();
      }
      const original = await first;

      expect(original.status).toBe(201);
      expect(duplicates.map(outcomeOf)).toEqual(['409', '409', '409']);
      for (const res of duplicates) {
        expectProblem(res, 409, 'idempotency-key-in-use');
        expect(res.headers['retry-after']).toBe('1');
      }
      expectProblem(otherBody!, 422, 'idempotency-key-reused');
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      expectReplayOf(await createKey(admin, key, body), original);
    });
  });

  describe('scope', () => {
    it('scopes a key to its organization: another org reusing it runs fresh and never sees the stored body', async () => {
      const a = await createOrgWithKey(t);
      const b = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: 'shared name', scopes: ['keys:read'] };

      const aRes = await createKey(a, key, body);
      const bRes = await createKey(b, key, body);
      expect([aRes.status, bRes.status]).toEqual([201, 201]);
      expect(bRes.headers['idempotent-replayed']).toBeUndefined();
      expect(bRes.body.id).not.toBe(aRes.body.id);
      expect(bRes.text).not.toContain(aRes.body.key);
      expect(bRes.text).not.toContain(aRes.body.id);
      expect(await t.prisma.apiKey.findUniqueOrThrow({ where: { id: bRes.body.id } })).toMatchObject({ orgId: b.orgId });

      // A different body under the same key in a third org is no mismatch either.
      const c = await createOrgWithKey(t);
      expect((await createKey(c, key, { name: 'another', scopes: ['keys:write'] })).status).toBe(201);

      expect(await sideEffects(a.orgId, 'shared name')).toEqual({ rows: 1, events: 1 });
      expect(await sideEffects(b.orgId, 'shared name')).toEqual({ rows: 1, events: 1 });
      // Each org still replays its own response.
      expectReplayOf(await createKey(a, key, body), aRes);
      expectReplayOf(await createKey(b, key, body), bRes);
    });

    it('scopes a key to the credential: another key of the same org runs fresh', async () => {
      const admin = await createOrgWithKey(t);
      const second = await createKey(admin, undefined, { name: 'second admin', scopes: ['keys:read', 'keys:write'] });
      expect(second.status).toBe(201);
      const key = newKey();
      const body = { name: uniqueName('per credential'), scopes: ['keys:read'] };

      const byAdmin = await createKey(admin, key, body);
      const bySecond = await createKey({ key: second.body.key }, key, body);
      expect([byAdmin.status, bySecond.status]).toEqual([201, 201]);
      expect(bySecond.headers['idempotent-replayed']).toBeUndefined();
      expect(bySecond.body.id).not.toBe(byAdmin.body.id);
      expect(bySecond.text).not.toContain(byAdmin.body.key);
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 2, events: 2 });
      expectReplayOf(await createKey({ key: second.body.key }, key, body), bySecond);
    });
  });

  describe('refused requests store nothing', () => {
    it.each([
      ['an unknown property', { name: 'x', scopes: ['keys:read'], owner: 'me' }],
      ['an invalid scope', { name: 'x', scopes: ['everything'] }],
      ['a missing name', { scopes: ['keys:read'] }],
    ])('stores nothing when validation refuses the body (%s); the key then works', async (_label, invalid) => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const refused = await createKey(admin, key, invalid);
      expectProblem(refused, 400);
      expect(await records(admin.orgId)).toEqual([]);
      expect(await t.prisma.apiKey.count({ where: { orgId: admin.orgId } })).toBe(1);

      // Not a 422: nothing remembers the refused body.
      const body = { name: uniqueName('after 400'), scopes: ['keys:read'] };
      const ok = await createKey(admin, key, body);
      expect(ok.status).toBe(201);
      expect(ok.headers['idempotent-replayed']).toBeUndefined();
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    });

    it('stores nothing when the handler refuses (403: granting a scope the caller lacks); the key then works', async () => {
      const admin = await createOrgWithKey(t);
      const limited = await createKey(admin, undefined, { name: 'limited', scopes: ['keys:read', 'keys:write'] });
      const key = newKey();
      const refused = await createKey({ key: limited.body.key }, key, { name: 'escalate', scopes: ['audit:read'] });
      expectProblem(refused, 403);
      expect(await records(admin.orgId)).toEqual([]);
      const ok = await createKey({ key: limited.body.key }, key, { name: 'fine', scopes: ['keys:read'] });
      expect(ok.status).toBe(201);
    });

    it('stores nothing when authentication or authorization refuses; the key then works', async () => {
      const admin = await createOrgWithKey(t);
      const readOnly = await createKey(admin, undefined, { name: 'read only', scopes: ['keys:read'] });
      const key = newKey();
      const body = { name: uniqueName('after 401'), scopes: ['keys:read'] };

      expectProblem(await createKey({ key: generateApiKey('live') }, key, body), 401);
      expectProblem(await createKey({ key: 'not-a-key' }, key, body), 401);
      expectProblem(await createKey({ token: 'a.b.c' }, key, body), 401);
      expectProblem(await createKey({ key: readOnly.body.key }, key, body), 403);
      expect(await t.prisma.idempotencyRecord.count({ where: { key } })).toBe(0);
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 0, events: 0 });

      const ok = await createKey(admin, key, body);
      expect(ok.status).toBe(201);
      expect(ok.headers['idempotent-replayed']).toBeUndefined();
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    });

    it('works the same for an access token (scoped to the key it was issued from)', async () => {
      const admin = await createOrgWithKey(t);
      const token = await tokenFor(t, admin);
      const key = newKey();
      const body = { name: uniqueName('token'), scopes: ['keys:read'] };
      const original = await createKey({ token }, key, body);
      expect(original.status).toBe(201);
      expectReplayOf(await createKey({ token }, key, body), original);
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    });
  });

  describe('a crash mid-handler', () => {
    it('rolls back the write, releases the key, answers 500, and lets the retry run', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('crash'), scopes: ['keys:read'] };
      let rowsSeenInside = -1;
      jest.spyOn(t.app.get(OutboxWriter), 'record').mockImplementationOnce(async () => {
        // The key row is already written in this transaction when the "crash" happens.
        rowsSeenInside = await t.db.tx.apiKey.count({ where: { orgId: admin.orgId, name: body.name } });
        throw new Error('simulated crash after the key row was written');
      });

      const crashed = await createKey(admin, key, body);
      expectProblem(crashed, 500);
      expect(crashed.text).not.toContain('simulated crash');
      expect(rowsSeenInside).toBe(1);
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 0, events: 0 });
      expect(await records(admin.orgId)).toEqual([]);

      const retried = await createKey(admin, key, body);
      expect(retried.status).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
      expectReplayOf(await createKey(admin, key, body), retried);
    });
  });

  describe('expiry', () => {
    const age = (orgId: string, key: string) =>
      t.prisma.$executeRaw`UPDATE idempotency_records SET expires_at = now() - interval '1 minute' WHERE org_id = ${orgId} AND key = ${key}`;

    it('keeps a record for 24 h', async () => {
      const admin = await createOrgWithKey(t);
      const before = Date.now();
      expect((await createKey(admin, newKey(), { name: uniqueName('ttl'), scopes: ['keys:read'] })).status).toBe(201);
      const [record] = await records(admin.orgId);
      const ttl = record.expiresAt.getTime() - before;
      expect(ttl).toBeGreaterThan(24 * 3600_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600_000 + 60_000);
    });

    it('purges expired records and keeps live ones', async () => {
      const admin = await createOrgWithKey(t);
      const [expired, live] = [newKey(), newKey()];
      expect((await createKey(admin, expired, { name: uniqueName('expired'), scopes: ['keys:read'] })).status).toBe(201);
      expect((await createKey(admin, live, { name: uniqueName('live'), scopes: ['keys:read'] })).status).toBe(201);
      expect(await age(admin.orgId, expired)).toBe(1);

      expect(await t.app.get(IdempotencyPurge).run()).toBeGreaterThanOrEqual(1);
      expect((await records(admin.orgId)).map((r) => r.key)).toEqual([live]);
      expect(await t.prisma.idempotencyRecord.count({ where: { expiresAt: { lte: new Date() } } })).toBe(0);
    });

    it('does not replay an expired record: the same key runs fresh (even with another body)', async () => {
      const admin = await createOrgWithKey(t);
      const key = newKey();
      const body = { name: uniqueName('stale'), scopes: ['keys:read'] };
      const original = await createKey(admin, key, body);
      expect(original.status).toBe(201);
      await age(admin.orgId, key);

      const again = await createKey(admin, key, body);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.id).not.toBe(original.body.id);
      expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 2, events: 2 });
      expectReplayOf(await createKey(admin, key, body), again);

      await age(admin.orgId, key);
      const otherBody = await createKey(admin, key, { name: uniqueName('stale other'), scopes: ['keys:read'] });
      expect(otherBody.status).toBe(201);
    });
  });
});
