// Idempotency across API processes (API guide: Idempotency "works across several API
// processes", issue 7): two app instances on one database, as two replicas
// behind a load balancer. The record lives in Postgres, so a duplicate sent to
// the other instance replays, waits (409) or runs once, never twice.
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { OutboxWriter } from '../src/platform/outbox/outbox-writer';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const REPLAYED_HEADERS = ['location', 'etag', 'content-type', 'cache-control'];
const newKey = () => `idem-${randomUUID()}`;
const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

function outcomeOf(res: Res): string {
  if (res.status >= 400) return String(res.status);
  return res.headers['idempotent-replayed'] === 'true' ? 'replay' : 'original';
}

function expectReplayOf(replay: Res, original: Res): void {
  expect(outcomeOf(original)).toBe('original');
  expect(outcomeOf(replay)).toBe('replay');
  expect(replay.status).toBe(original.status);
  expect(replay.text).toBe(original.text);
  for (const name of REPLAYED_HEADERS) expect([name, replay.headers[name]]).toEqual([name, original.headers[name]]);
}

describe('Idempotency-Key across two instances on one database', () => {
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ database: one.database });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  const createKey = (app: TestApp, admin: OrgWithKey, key: string, body: object) =>
    app.http.post('/v1/api-keys').set('X-API-Key', admin.key).set('Idempotency-Key', key).send(body);

  async function sideEffects(orgId: string, name: string): Promise<{ rows: number; events: number }> {
    const rows = await one.prisma.apiKey.count({ where: { orgId, name } });
    const events = (await one.prisma.outboxEvent.findMany({ where: { orgId, type: 'api_key.created' } })).filter(
      (e) => (e.data as { name?: string }).name === name,
    ).length;
    return { rows, events };
  }

  it('replays on the second instance what the first one ran', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('sequential'), scopes: ['keys:read'] };
    const original = await createKey(one, admin, key, body);
    expect(original.status).toBe(201);
    expectReplayOf(await createKey(two, admin, key, body), original);
    expectReplayOf(await createKey(one, admin, key, body), original);
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
  });

  it('refuses on one instance a key the other used for another request (422)', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('mismatch'), scopes: ['keys:read'] };
    expect((await createKey(two, admin, key, body)).status).toBe(201);
    const other = await createKey(one, admin, key, { ...body, scopes: ['keys:write'] });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/#idempotency-key-reused$/);
    expect(await one.prisma.apiKey.count({ where: { orgId: admin.orgId } })).toBe(2);
  });

  it('runs 8 concurrent duplicates spread over both instances once', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('concurrent'), scopes: ['keys:read'] };
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => createKey(i % 2 === 0 ? one : two, admin, key, body)));

    const outcomes = responses.map(outcomeOf);
    expect(outcomes.filter((o) => o === 'original')).toEqual(['original']);
    for (const outcome of outcomes) expect(['original', 'replay', '409']).toContain(outcome);
    const original = responses.find((r) => outcomeOf(r) === 'original')!;
    for (const res of responses) if (outcomeOf(res) === 'replay') expectReplayOf(res, original);
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    expectReplayOf(await createKey(two, admin, key, body), original);
  });

  it('replays to every concurrent duplicate once the first has completed, never 409', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('completed'), scopes: ['keys:read'] };
    const original = await createKey(one, admin, key, body);
    expect(original.status).toBe(201);
    // A replay is not "in flight": replays running side by side must not refuse each other.
    const replays = await Promise.all(Array.from({ length: 6 }, (_, i) => createKey(i % 2 === 0 ? one : two, admin, key, body)));
    for (const replay of replays) expectReplayOf(replay, original);
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
  });

  it('answers 409 on the other instance while the first is in flight, then replays', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('in flight'), scopes: ['keys:read'] };
    const outbox = one.app.get(OutboxWriter);
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

    const first = createKey(one, admin, key, body).then((res) => res);
    const duplicates: Res[] = [];
    try {
      await reachedP;
      for (let i = 0; i < 2; i++) duplicates.push(await createKey(two, admin, key, body));
    } finally {
      release();
    }
    const done = await first;
    expect(done.status).toBe(201);
    expect(duplicates.map(outcomeOf)).toEqual(['409', '409']);
    expect(duplicates[0].body.type).toMatch(/#idempotency-key-in-use$/);
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    expectReplayOf(await createKey(two, admin, key, body), done);
  });

  it('lets the other instance retry a key whose first attempt crashed', async () => {
    const admin = await createOrgWithKey(one);
    const key = newKey();
    const body = { name: uniqueName('crash'), scopes: ['keys:read'] };
    jest.spyOn(one.app.get(OutboxWriter), 'record').mockRejectedValueOnce(new Error('simulated crash'));

    const crashed = await createKey(one, admin, key, body);
    expect(crashed.status).toBe(500);
    expect(await one.prisma.idempotencyRecord.count({ where: { orgId: admin.orgId } })).toBe(0);
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 0, events: 0 });

    const retried = await createKey(two, admin, key, body);
    expect(outcomeOf(retried)).toBe('original');
    expect(await sideEffects(admin.orgId, body.name)).toEqual({ rows: 1, events: 1 });
    expectReplayOf(await createKey(one, admin, key, body), retried);
  });
});
