// What one request costs the database, counted at the driver: every statement
// the app's pg clients send (Prisma's adapter goes through pg.Client#query).
// An idempotent create is one transaction with one COMMIT and at most 8
// statements; a warm authenticated read is one query.
import { Client } from 'pg';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, type TestApp } from './helpers/test-app';

type QueryFn = (...args: unknown[]) => unknown;

describe('statements per request', () => {
  let t: TestApp;
  const sent: string[] = [];
  const original = Client.prototype.query as unknown as QueryFn;

  beforeAll(async () => {
    // No webhook workers: their polling is no request's cost.
    t = await startTestApp({ env: { WEBHOOK_WORKERS: '0' } });
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

  it('sends one COMMIT and at most 8 statements for an idempotent POST /v1/releases', async () => {
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

    // The replay is one transaction too, and repeats no insert of the change.
    const replay = await statementsOf(() =>
      t.http.post('/v1/releases').set('X-API-Key', org.key).set('Idempotency-Key', 'stmt-count-1').send({ title: 'Counted', artists: ['A'] }).expect(201),
    );
    expect(replay.filter((s) => /^COMMIT/i.test(s))).toHaveLength(1);
    expect(replay.some((s) => /INSERT INTO "?(public"\.")?releases/i.test(s))).toBe(false);
  });

  it('sends at most one statement for a warm authenticated GET /v1/releases/:id', async () => {
    const org = await createOrgWithKey(t);
    const created = await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'Read me', artists: ['A'] }).expect(201);
    await t.http.get(`/v1/releases/${created.body.id}`).set('X-API-Key', org.key).expect(200);
    const statements = await statementsOf(() => t.http.get(`/v1/releases/${created.body.id}`).set('X-API-Key', org.key).expect(200));
    expect(statements.length).toBeLessThanOrEqual(1);
  });
});
