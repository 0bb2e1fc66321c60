// What the webhook workers read from their queues must not grow with the
// backlog, nor with the work done since the last vacuum: the delivery claim
// runs once per group of finished deliveries and the fan-out once per batch,
// so a plan that reads a backlog caps delivery at a few hundred a second. The
// planner picks from statistics, and a fan-out burst outruns them; these are
// the states the benchmark met (a table never analyzed, one analyzed when it
// held only finished messages, and the dead index entries every delivery and
// every dispatch leaves), each in a database of its own.
import { Client } from 'pg';
import { claimDueMessagesSql, claimUndispatchedEventsSql } from '../src/modules/webhooks/delivery/delivery.repository';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

describe('Webhook queue reads', () => {
  let db: TestDatabase;
  let client: Client;

  beforeEach(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO organizations (id, name) VALUES ('org_claim', 'Claim')`);
    await client.query(`INSERT INTO webhook_endpoints (id, org_id, url, secret_sealed, updated_at) VALUES ('ep_claim', 'org_claim', 'http://127.0.0.1:9/', 'sealed', now())`);
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  async function insertMessages(from: number, n: number, done: boolean): Promise<void> {
    await client.query(
      `INSERT INTO webhook_messages (id, org_id, endpoint_id, event_id, event_type, body, status, next_attempt_at)
       SELECT 'msg_' || g, 'org_claim', 'ep_claim', 'evt_' || g, 'release.updated', '{}', $3, CASE WHEN $4 THEN NULL ELSE now() - interval '1 minute' END
       FROM generate_series($1::int, $2::int) g`,
      [from, from + n - 1, done ? 'delivered' : 'pending', done],
    );
  }

  /**
   * Rows of `table` a statement reads: table rows from sequential scans plus
   * entries read from its indexes (bitmap or plain), from the transaction's
   * own statistics counters, which count inside the probe functions too. The
   * statement is rolled back.
   */
  async function rowsRead(table: string, sql: { text: string; values: unknown[] }, expectedRows: number): Promise<number> {
    const read = async () =>
      (
        await client.query<{ n: number }>(
          `SELECT (pg_stat_get_xact_tuples_returned($1::regclass)
                   + (SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0) FROM pg_index WHERE indrelid = $1::regclass))::int AS n`,
          [table],
        )
      ).rows[0].n;
    await client.query('BEGIN');
    try {
      const before = await read();
      const { rowCount } = await client.query(sql.text, sql.values);
      expect(rowCount).toBe(expectedRows);
      return (await read()) - before;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  /**
   * What `read` reads once the dead entries before it can be marked: a plain
   * index scan marks an entry only when no transaction may still see its row,
   * and an autovacuum ANALYZE of the fresh rows can hold that back for a
   * moment. A scan that never marks them reads them on every try.
   */
  async function rowsReadOnceMarked(read: () => Promise<number>): Promise<number> {
    let rows = await read();
    for (let tries = 0; rows >= 200 && tries < 30; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await read();
    }
    return rows;
  }

  /** Rows of webhook_messages one claim of 32 (16 per endpoint) reads. */
  const rowsReadByClaim = () => rowsRead('webhook_messages', claimDueMessagesSql(32, 60_000, { perEndpoint: 16, perOrg: 32 }), 16);

  // 16 claimed: the ordered probe and the re-checks under the row locks read a
  // few dozen rows. Sorting the backlog, or reading it through the status
  // index, reads all 5,000.
  it('reads a few rows, not the backlog, in a table never analyzed', async () => {
    await insertMessages(1, 5_000, false);
    expect(await rowsReadByClaim()).toBeLessThan(200);
  });

  it('reads a few rows, not the backlog, when the statistics saw only finished messages', async () => {
    await insertMessages(1, 200, true);
    await client.query('VACUUM ANALYZE webhook_messages');
    await insertMessages(1_000, 5_000, false);
    expect(await rowsReadByClaim()).toBeLessThan(200);
  });

  it('reads a few rows after thousands of deliveries the vacuum has not caught up with', async () => {
    // Each delivery leaves a dead 'delivering' version behind: claimed, then recorded.
    await insertMessages(1, 3_000, false);
    await client.query(`UPDATE webhook_messages SET status = 'delivering', locked_until = now() + interval '40 seconds', next_attempt_at = now() + interval '40 seconds'`);
    await client.query(`UPDATE webhook_messages SET status = 'delivered', locked_until = NULL, next_attempt_at = NULL`);
    await insertMessages(10_000, 100, false);
    // A claim passes the dead entries once and marks them; the next ones skip them.
    expect(await rowsReadOnceMarked(rowsReadByClaim)).toBeLessThan(200);
  });

  it('reads a batch of undispatched outbox events, not the events dispatched since the last vacuum', async () => {
    // Dispatching leaves each event's undispatched index entry behind, dead.
    await client.query(
      `INSERT INTO outbox_events (id, org_id, type, data) SELECT 'evt_' || lpad(g::text, 8, '0'), 'org_claim', 'release.updated', '{}' FROM generate_series(1, 3000) g`,
    );
    await client.query('UPDATE outbox_events SET dispatched_at = now()');
    await client.query(
      `INSERT INTO outbox_events (id, org_id, type, data) SELECT 'evt_' || lpad(g::text, 8, '0'), 'org_claim', 'release.updated', '{}' FROM generate_series(5001, 5200) g`,
    );
    const batch = claimUndispatchedEventsSql(100);
    // A read passes the dead entries once and marks them; the next ones skip them.
    expect(await rowsReadOnceMarked(() => rowsRead('outbox_events', batch, 100))).toBeLessThan(200);
  });
});
