// Idempotency-Key on the releases routes (API guide: Releases and their lifecycle, Idempotency; issue 7 "replay
// byte-identical with exactly one row and one outbox event"): a release
// response carries both Location and ETag, and a PATCH changes the version,
// so a repeated side effect would show as a second row, a second event or a
// version bump.
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const newKey = () => `idem-${randomUUID()}`;
const uniqueTitle = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

function outcomeOf(res: Res): string {
  if (res.status >= 400) return String(res.status);
  return res.headers['idempotent-replayed'] === 'true' ? 'replay' : 'original';
}

function expectReplayOf(replay: Res, original: Res): void {
  expect(outcomeOf(original)).toBe('original');
  expect(outcomeOf(replay)).toBe('replay');
  expect(replay.status).toBe(original.status);
  expect(replay.text).toBe(original.text);
  for (const name of ['location', 'etag', 'content-type']) expect([name, replay.headers[name]]).toEqual([name, original.headers[name]]);
}

describe('Idempotency-Key on releases', () => {
  let t: TestApp;
  let admin: OrgWithKey;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    admin = await createOrgWithKey(t, ['releases:read', 'releases:write']);
  });

  const createRelease = (key: string | undefined, body: object) => {
    const req = t.http.post('/v1/releases').set('X-API-Key', admin.key);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body);
  };

  async function releaseEvents(type: string, releaseId: string): Promise<number> {
    const events = await t.prisma.outboxEvent.findMany({ where: { orgId: admin.orgId, type } });
    return events.filter((e) => (e.data as { release?: { id?: string } }).release?.id === releaseId).length;
  }

  it('replays a create byte for byte with its Location and ETag: one row, one release.created event', async () => {
    const key = newKey();
    const body = { title: uniqueTitle('Replayed'), artists: ['Someone'] };
    const original = await createRelease(key, body);
    expect(original.status).toBe(201);
    expect(original.headers.location).toBe(`/v1/releases/${original.body.id}`);
    expect(original.headers.etag).toBe('"v1"');

    expectReplayOf(await createRelease(key, body), original);
    expectReplayOf(await createRelease(key, body), original);

    expect(await t.prisma.release.count({ where: { orgId: admin.orgId, title: body.title } })).toBe(1);
    expect(await releaseEvents('release.created', original.body.id)).toBe(1);
    expect(await t.prisma.outboxEvent.count({ where: { orgId: admin.orgId, type: 'release.created' } })).toBe(1);
  });

  it('runs 8 concurrent duplicate creates once', async () => {
    const key = newKey();
    const body = { title: uniqueTitle('Concurrent'), artists: ['Someone'] };
    const responses = await Promise.all(Array.from({ length: 8 }, () => createRelease(key, body)));
    const outcomes = responses.map(outcomeOf);
    expect(outcomes.filter((o) => o === 'original')).toEqual(['original']);
    for (const outcome of outcomes) expect(['original', 'replay', '409']).toContain(outcome);
    expect(await t.prisma.release.count({ where: { orgId: admin.orgId } })).toBe(1);
    expect(await t.prisma.outboxEvent.count({ where: { orgId: admin.orgId, type: 'release.created' } })).toBe(1);
  });

  it('applies a PATCH once: the replay shows the stored 200 and ETag, the version moves once', async () => {
    const created = await createRelease(undefined, { title: uniqueTitle('Draft'), artists: ['Someone'] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const key = newKey();
    const patch = () => t.http.patch(`/v1/releases/${id}`).set('X-API-Key', admin.key).set('Idempotency-Key', key).set('If-Match', '"v1"').send({ title: 'Renamed' });

    const original = await patch();
    expect(original.status).toBe(200);
    expect(original.headers.etag).toBe('"v2"');
    // The If-Match is stale now, but a replay answers what the first attempt got (no 412, no second update).
    expectReplayOf(await patch(), original);

    const current = await t.http.get(`/v1/releases/${id}`).set('X-API-Key', admin.key).expect(200);
    expect(current.body).toMatchObject({ title: 'Renamed', version: 2 });
    expect(await releaseEvents('release.updated', id)).toBe(1);
  });

  it('refuses the key on another release (another path) with 422 and leaves that release alone', async () => {
    const a = await createRelease(undefined, { title: uniqueTitle('A'), artists: ['Someone'] });
    const b = await createRelease(undefined, { title: uniqueTitle('B'), artists: ['Someone'] });
    const key = newKey();
    expect((await t.http.patch(`/v1/releases/${a.body.id}`).set('X-API-Key', admin.key).set('Idempotency-Key', key).send({ genre: 'Jazz' })).status).toBe(200);
    const other = await t.http.patch(`/v1/releases/${b.body.id}`).set('X-API-Key', admin.key).set('Idempotency-Key', key).send({ genre: 'Jazz' });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/#idempotency-key-reused$/);
    expect(await t.prisma.release.findUniqueOrThrow({ where: { id: b.body.id } })).toMatchObject({ version: 1, genre: null });
    expect(await releaseEvents('release.updated', b.body.id)).toBe(0);
  });
});
