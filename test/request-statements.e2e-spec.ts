// What one request costs the database, counted at the driver: every statement
// the app's pg clients send (Prisma's adapter goes through pg.Client#query).
// An idempotent create is one transaction with one COMMIT and at most 8
// statements; a warm authenticated read is one query.
import { Client } from 'pg';
import { WebhookTargetResolver } from '../src/modules/webhooks/delivery/webhook-target-resolver';
import { wav } from './helpers/audio-fixtures';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, type TestApp } from './helpers/test-app';

type QueryFn = (...args: unknown[]) => unknown;

describe('statements per request', () => {
  let t: TestApp;
  const sent: string[] = [];
  const original = Client.prototype.query as unknown as QueryFn;

  beforeAll(async () => {
    // No webhook workers: their polling is no request's cost.
    t = await startTestApp({ env: { WEBHOOK_WORKERS: '0', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    (Client.prototype as unknown as { query: QueryFn }).query = function (this: Client, ...args: unknown[]) {
      const config = args[0];
      const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
      if (typeof text === 'string') sent.push(text.replace(/\s+/g, ' ').trim());
      return original.apply(this, args);
    };
  });
  afterAll(async () => {
    (Client.prototype as unknown as { query: QueryFn }).query = original;
    await t?.close();
  });

  /** Statements sent while `work` ran, leaving out the coalesced lastUsedAt flush, which belongs to no request. */
  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    sent.length = 0;
    await work();
    return sent.filter((s) => !/last_used_at/.test(s));
  }

  it('sends one COMMIT and at most 8 statements for an idempotent POST /v1/releases, one of them for the audit event', async () => {
    const org = await createOrgWithKey(t);
    // Warm: the key is cached after its first use, as for any client that keeps calling.
    await t.http.get('/v1/releases').set('X-API-Key', org.key).expect(200);
    const statements = await statementsOf(() =>
      t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-count-1').send({ title: 'Counted', artists: ['A'] }).expect(201),
    );
    if (process.env.SHOW_STATEMENTS) console.log(statements.join('\n'));
    expect(statements.filter((s) => /^COMMIT/i.test(s))).toHaveLength(1);
    expect(statements.filter((s) => /^BEGIN/i.test(s))).toHaveLength(1);
    expect(statements.length).toBeLessThanOrEqual(8);
    // The process appended the organization's first event (its creation): the audit append is
    // the one statement that moves the chain head and inserts the event (docs/architecture.md).
    expect(statements.filter((s) => /audit_chain_heads|audit_events/.test(s))).toEqual([expect.stringMatching(/^WITH moved AS/)]);

    // The replay is one transaction too, and repeats no insert of the change.
    const replay = await statementsOf(() =>
      t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-count-1').send({ title: 'Counted', artists: ['A'] }).expect(201),
    );
    expect(replay.filter((s) => /^COMMIT/i.test(s))).toHaveLength(1);
    expect(replay.some((s) => /INSERT INTO "?(public"\.")?releases/i.test(s))).toBe(false);
  });

  it('logs no warning for successful writes that join the request transaction', async () => {
    // A service's own withTransaction runs inside the request's; the plugin
    // used to log "Transaction options are ignored" on every such call.
    const org = await createOrgWithKey(t);
    const before = t.logs.length;
    const created = await t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-warn-1').send({ title: 'Quiet', artists: ['A'] }).expect(201);
    await t.http.patch(`/v1/releases/${created.body.id}`).set('X-API-Key', org.key).set('If-Match', created.headers.etag).send({ title: 'Quieter' }).expect(200);
    await t.http.post(`/v1/releases/${created.body.id}/tracks`).set('X-API-Key', org.key).send({ title: 'T', trackNumber: 1 }).expect(201);
    const warnings = t.logs.slice(before).filter((line) => Number(line.level ?? 0) >= 40);
    expect(warnings).toEqual([]);
  });

  it('sends at most one statement for a warm authenticated GET /v1/releases/:id', async () => {
    const org = await createOrgWithKey(t);
    const created = await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'Read me', artists: ['A'] }).expect(201);
    await t.http.get(`/v1/releases/${created.body.id}`).set('X-API-Key', org.key).expect(200);
    const statements = await statementsOf(() => t.http.get(`/v1/releases/${created.body.id}`).set('X-API-Key', org.key).expect(200));
    expect(statements.length).toBeLessThanOrEqual(1);
  });

  it('commits an idempotent upload in one transaction: claim, row, event, stored response and audit event', async () => {
    const org = await createOrgWithKey(t);
    await t.http.get('/v1/uploads').set('X-API-Key', org.key).expect(200);
    const send = () =>
      t.http.post('/v1/uploads').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-upload-1').attach('file', wav(), { filename: 'a.wav', contentType: 'audio/wav' });
    const statements = await statementsOf(() => send().expect(201));
    expect(statements.filter((s) => /^BEGIN/i.test(s))).toHaveLength(1);
    expect(statements.filter((s) => /^COMMIT/i.test(s))).toHaveLength(1);
    const begin = statements.findIndex((s) => /^BEGIN/i.test(s));
    const commit = statements.findIndex((s) => /^COMMIT/i.test(s));
    const inside = (pattern: RegExp) => statements.findIndex((s) => pattern.test(s));
    for (const write of [/pg_try_advisory_xact_lock/, /INSERT INTO "?(public"\.")?uploads/i, /INSERT INTO "?(public"\.")?outbox_events/i, /INSERT INTO idempotency_records/i, /INSERT INTO audit_events/i]) {
      expect(inside(write)).toBeGreaterThan(begin);
      expect(inside(write)).toBeLessThan(commit);
    }
    const replay = await statementsOf(() => send().expect(201));
    expect(replay.some((s) => /INSERT INTO "?(public"\.")?uploads/i.test(s))).toBe(false);
  });

  it('resolves a webhook URL in DNS before the request takes a connection for its transaction', async () => {
    const org = await createOrgWithKey(t);
    const resolver = t.app.get(WebhookTargetResolver);
    const original = resolver.resolve.bind(resolver);
    const spy = jest.spyOn(resolver, 'resolve').mockImplementation(async (raw, timeoutMs) => {
      sent.push('-- DNS');
      expect(t.db.isTransactionActive()).toBe(false);
      return original(raw, timeoutMs);
    });
    try {
      let endpointId = '';
      const created = await statementsOf(async () => {
        const res = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-we-1').send({ url: 'http://127.0.0.1:9/hook', events: ['*'] }).expect(201);
        endpointId = res.body.id as string;
      });
      const patched = await statementsOf(() =>
        t.http.patch(`/v1/webhook-endpoints/${endpointId}`).set('X-API-Key', org.key).send({ url: 'http://127.0.0.1:10/hook' }).expect(200),
      );
      for (const statements of [created, patched]) {
        expect(statements.indexOf('-- DNS')).toBeGreaterThanOrEqual(0);
        expect(statements.indexOf('-- DNS')).toBeLessThan(statements.findIndex((s) => /^BEGIN/i.test(s)));
        expect(statements.filter((s) => /^COMMIT/i.test(s))).toHaveLength(1);
      }
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});
