// Recording delivery attempts in batches (AttemptRecorder → one statement per
// batch): the per-message lease rule and the per-endpoint failure bookkeeping
// must come out as if each attempt had been recorded on its own, and one bad
// row must not cost the others their records.
import { AttemptRecorder } from '../src/modules/webhooks/delivery/attempt-recorder';
import { AttemptOutcome, DeliveryRepository } from '../src/modules/webhooks/delivery/delivery.repository';
import { newId } from '../src/platform/ids';
import { ClsService } from 'nestjs-cls';
import { eventually } from './helpers/webhook-receiver';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

const DAY = 86_400_000;

describe('Webhook attempts recorded in batches', () => {
  let t: TestApp;
  let org: OrgWithKey;
  let repository: DeliveryRepository;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_WORKERS: '0', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    repository = t.app.get(DeliveryRepository);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    org = await createOrgWithKey(t);
  });

  async function endpointWith(failingSince: Date | null = null): Promise<string> {
    const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: 'http://127.0.0.1:9/hooks', events: ['*'] });
    expect(res.status).toBe(201);
    await t.prisma.webhookEndpoint.update({ where: { id: res.body.id }, data: { failingSince } });
    return res.body.id;
  }

  /** `n` messages of the endpoint, each held under the lease of its first attempt. */
  async function claimedMessages(endpointId: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => newId('msg'));
    await t.prisma.webhookMessage.createMany({
      data: ids.map((id) => ({
        id,
        orgId: org.orgId,
        endpointId,
        eventId: newId('evt'),
        eventType: 'release.updated',
        body: '{}',
        status: 'delivering',
        attemptCount: 1,
        lockedUntil: new Date(Date.now() + 60_000),
      })),
    });
    return ids;
  }

  const outcome = (endpointId: string, messageId: string, result: 'delivered' | 'retry' | 'gone', error: string | null = null): AttemptOutcome => ({
    attempt: {
      messageId,
      endpointId,
      attemptNumber: 1,
      attemptedAt: new Date(),
      statusCode: result === 'delivered' ? 204 : result === 'gone' ? 410 : 500,
      durationMs: 3,
      responseBodyExcerpt: null,
      error,
    },
    update: result === 'delivered' ? { status: 'delivered' } : result === 'retry' ? { status: 'pending', delayMs: 60_000 } : { status: 'failed' },
    disableEndpoint: result === 'gone',
  });

  const endpoint = (id: string) => t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } });

  it('records every attempt, and applies an outcome only while its lease is held', async () => {
    const e = await endpointWith();
    const [kept, lost] = await claimedMessages(e, 2);
    // Another worker took `lost` over (its lease had run out): attempt 2 is now its.
    await t.prisma.webhookMessage.update({ where: { id: lost }, data: { attemptCount: 2 } });

    expect(await repository.recordAttempts([outcome(e, kept, 'delivered'), outcome(e, lost, 'delivered')])).toBe(2);
    expect(await t.prisma.webhookMessage.findUniqueOrThrow({ where: { id: kept } })).toMatchObject({ status: 'delivered', lockedUntil: null });
    expect(await t.prisma.webhookMessage.findUniqueOrThrow({ where: { id: lost } })).toMatchObject({ status: 'delivering', attemptCount: 2 });
    expect(await t.prisma.webhookAttempt.count({ where: { messageId: { in: [kept, lost] } } })).toBe(2);

    // The same attempt again is not a second row, and fails nothing.
    expect(await repository.recordAttempts([outcome(e, kept, 'delivered')])).toBe(0);
    expect(await t.prisma.webhookAttempt.count({ where: { messageId: kept } })).toBe(1);
  });

  it("folds an endpoint's outcomes in the order they finished", async () => {
    // Failure then success: the failing run is over.
    const recovered = await endpointWith(new Date(Date.now() - DAY));
    const [r1, r2] = await claimedMessages(recovered, 2);
    // Success then failure: a new run starts now.
    const relapsed = await endpointWith(new Date(Date.now() - 4 * DAY));
    const [s1, s2] = await claimedMessages(relapsed, 2);
    // Only failures, run older than five days: disabled.
    const dead = await endpointWith(new Date(Date.now() - 5 * DAY - 60_000));
    const [d1, d2] = await claimedMessages(dead, 2);
    // A success in the batch: not "all failed for five days", so it stays enabled.
    const saved = await endpointWith(new Date(Date.now() - 6 * DAY));
    const [v1, v2] = await claimedMessages(saved, 2);
    // 410 Gone disables whatever else happened.
    const gone = await endpointWith();
    const [g1, g2] = await claimedMessages(gone, 2);
    // Only successes on a healthy endpoint: its row is left alone.
    const healthy = await endpointWith();
    const [h1] = await claimedMessages(healthy, 1);
    const before = await endpoint(healthy);

    const started = Date.now();
    await repository.recordAttempts([
      outcome(recovered, r1, 'retry'),
      outcome(relapsed, s1, 'delivered'),
      outcome(dead, d1, 'retry'),
      outcome(saved, v1, 'retry'),
      outcome(gone, g1, 'gone'),
      outcome(recovered, r2, 'delivered'),
      outcome(relapsed, s2, 'retry'),
      outcome(dead, d2, 'retry'),
      outcome(saved, v2, 'delivered'),
      outcome(gone, g2, 'delivered'),
      outcome(healthy, h1, 'delivered'),
    ]);

    expect(await endpoint(recovered)).toMatchObject({ enabled: true, failingSince: null });
    const relapsedRow = await endpoint(relapsed);
    expect(relapsedRow.enabled).toBe(true);
    expect(relapsedRow.failingSince!.getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(await endpoint(dead)).toMatchObject({ enabled: false, disabledReason: 'failing' });
    expect(await endpoint(saved)).toMatchObject({ enabled: true, failingSince: null });
    expect(await endpoint(gone)).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect(await endpoint(healthy)).toEqual(before);
    const statuses = await t.prisma.webhookMessage.findMany({ where: { id: { in: [r1, r2, g1, g2] } }, select: { id: true, status: true } });
    expect(Object.fromEntries(statuses.map((m) => [m.id, m.status]))).toEqual({ [r1]: 'pending', [r2]: 'delivered', [g1]: 'failed', [g2]: 'delivered' });
  });

  it('finds the messages it records by primary key, not through the status index and the dead entries in it', async () => {
    const e = await endpointWith();
    // 2,000 deliveries the vacuum has not caught up with: each left a dead 'delivering' entry.
    const done = await claimedMessages(e, 2_000);
    await t.prisma.webhookMessage.updateMany({ where: { id: { in: done } }, data: { status: 'delivered', lockedUntil: null, nextAttemptAt: null } });
    const ids = await claimedMessages(e, 16);
    // Entries of the status index read in this transaction so far (its own statistics counters).
    const statusEntriesRead = async () =>
      (
        await t.db.tx.$queryRaw<Array<{ n: number }>>`
          SELECT pg_stat_get_xact_tuples_returned('webhook_messages_status_next_attempt_at_idx'::regclass)::int AS n`
      )[0].n;
    const read = await t.db.withTransaction(async () => {
      const before = await statusEntriesRead();
      expect(await repository.recordAttempts(ids.map((id) => outcome(e, id, 'delivered')))).toBe(16);
      return (await statusEntriesRead()) - before;
    });
    // By primary key (or, in a table this small, a sequential scan): never all 2,016 'delivering' entries.
    expect(read).toBeLessThan(100);
  });

  it('records the rest of a batch one by one when one row cannot be written', async () => {
    const e = await endpointWith();
    const [good1, bad, good2] = await claimedMessages(e, 3);
    const recorder = t.app.get(AttemptRecorder);
    const logger = (recorder as unknown as { logger: { warn: jest.Mock; error: jest.Mock } }).logger;
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      // Longer than the column allows: the batch statement fails as a whole.
      await Promise.all([
        recorder.record(outcome(e, good1, 'delivered')),
        recorder.record(outcome(e, bad, 'retry', 'x'.repeat(600))),
        recorder.record(outcome(e, good2, 'delivered')),
      ]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
    const rows = await t.prisma.webhookMessage.findMany({ where: { id: { in: [good1, bad, good2] } }, include: { attempts: true } });
    const byId = Object.fromEntries(rows.map((m) => [m.id, m]));
    expect(byId[good1]).toMatchObject({ status: 'delivered', attempts: [expect.objectContaining({ statusCode: 204 })] });
    expect(byId[good2]).toMatchObject({ status: 'delivered', attempts: [expect.objectContaining({ statusCode: 204 })] });
    // Its lease runs out and it is attempted again: at-least-once.
    expect(byId[bad]).toMatchObject({ status: 'delivering', attempts: [] });
  });

  // Issue 14.3: claims are fair, and the caps hold whoever claims.
  describe('claiming', () => {
    const LEASE_MS = 60_000;

    /** `n` due messages of the endpoint, due in creation order. */
    async function dueMessages(endpointId: string, n: number): Promise<string[]> {
      const ids = Array.from({ length: n }, () => newId('msg'));
      const base = Date.now() - 60_000;
      await t.prisma.webhookMessage.createMany({
        data: ids.map((id, i) => ({ id, orgId: org.orgId, endpointId, eventId: newId('evt'), eventType: 'release.updated', body: '{}', nextAttemptAt: new Date(base + i) })),
      });
      return ids;
    }
    /**
     * A claim in its own CLS context (as each worker loop has); with
     * `holdUntil`, inside a transaction that commits only then, which is how a
     * claim looks to others while it is still running.
     */
    const claim = (limit: number, caps = { perEndpoint: 3, perOrg: 5 }, holdUntil?: Promise<void>) =>
      t.app.get(ClsService).run(() =>
        holdUntil
          ? t.db.withTransaction(async () => {
              const claimed = await repository.claimDueMessages(limit, LEASE_MS, caps);
              await holdUntil;
              return claimed;
            })
          : repository.claimDueMessages(limit, LEASE_MS, caps),
      );
    // Claims cross organizations: the other tests' endpoints stay out of these.
    beforeEach(() => t.prisma.webhookEndpoint.updateMany({ data: { enabled: false } }));

    it('takes turns across endpoints, oldest first, up to each endpoint’s and the organization’s caps', async () => {
      const [a, b] = [await endpointWith(), await endpointWith()];
      const aIds = await dueMessages(a, 10);
      const bIds = await dueMessages(b, 2);
      // Round-robin: a1 b1 a2 b2 a3 (the organization's 5), although all of a's are due first.
      expect((await claim(32)).map((m) => m.id).sort()).toEqual([aIds[0], aIds[1], aIds[2], bIds[0], bIds[1]].sort());
      // Both caps reached: nothing more until some finish.
      expect(await claim(32)).toEqual([]);
    });

    it('refuses a message that is done but still has a due time (the claim finds due messages by that time alone)', async () => {
      const endpoint = await endpointWith();
      const [id] = await dueMessages(endpoint, 1);
      await expect(t.prisma.webhookMessage.update({ where: { id }, data: { status: 'delivered' } })).rejects.toThrow(/webhook_messages_due_shape/);
      await t.prisma.webhookMessage.update({ where: { id }, data: { status: 'delivered', nextAttemptAt: null } });
      await expect(t.prisma.webhookMessage.update({ where: { id }, data: { status: 'pending' } })).rejects.toThrow(/webhook_messages_due_shape/);
    });

    it('refuses a lease on a message not being delivered, and a delivering message without one (the record checks the lease by it)', async () => {
      const endpoint = await endpointWith();
      const [pending] = await dueMessages(endpoint, 1);
      const [delivering] = await claimedMessages(endpoint, 1);
      await expect(t.prisma.webhookMessage.update({ where: { id: pending }, data: { lockedUntil: new Date(Date.now() + 60_000) } })).rejects.toThrow(
        /webhook_messages_lease_shape/,
      );
      await expect(t.prisma.webhookMessage.update({ where: { id: delivering }, data: { lockedUntil: null } })).rejects.toThrow(/webhook_messages_lease_shape/);
    });

    /**
     * Row locks other sessions hold on this database's webhook_messages: the
     * uncommitted claim's. pg_locks spans the cluster, and every test database
     * is made from one template, so the table has the same oid in each: without
     * the database, another suite's delivery counted, and the second claimer
     * ran before the first had claimed anything (failed once in a full suite).
     */
    const locksHeld = async () =>
      (
        await t.prisma.$queryRaw<Array<{ n: number }>>`
          SELECT count(*)::int AS n FROM pg_locks
          WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND relation = 'webhook_messages'::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()`
      )[0].n;

    it('keeps concurrent claimers within the caps: one that cannot see another’s claims yet skips them and claims no more', async () => {
      const [endpoint, other] = [await endpointWith(), await endpointWith()];
      await dueMessages(endpoint, 10);
      await dueMessages(other, 10);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const caps = { perEndpoint: 4, perOrg: 6 };
      // One claimer has claimed two messages and not committed yet…
      const one = claim(2, caps, held);
      await eventually(async () => (await locksHeld()) > 0);
      // …when another claims, on another connection: it sees none of them in flight.
      const two = await claim(32, caps);
      release();
      const first = await one;
      expect(first).toHaveLength(2);
      // The second took the rest of the organization's 6, not 6 more, and none of the first one's.
      expect(two).toHaveLength(4);
      expect(two.filter((m) => first.some((f) => f.id === m.id))).toEqual([]);
      const inFlight = await t.prisma.webhookMessage.groupBy({ by: ['endpointId'], where: { orgId: org.orgId, status: 'delivering' }, _count: true });
      expect(inFlight.map((g) => g._count).sort()).toEqual([3, 3]);
    });
  });
});
