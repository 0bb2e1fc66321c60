// The embedded database's session server (src/platform/database/embedded/
// session-server.ts) on its own, with an in-memory PGlite: what it promises
// to every pg connection, measured directly rather than through the app.
import { Client, Pool } from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { PgliteSessionServer } from '../src/platform/database/embedded/session-server';

jest.setTimeout(60_000);

describe('PgliteSessionServer', () => {
  let db: PGlite;
  let server: PgliteSessionServer;
  let url: string;

  beforeAll(async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create();
    server = new PgliteSessionServer(db);
    const { host, port } = await server.start();
    url = `postgresql://postgres@${host}:${port}/postgres`;
    const setup = new Client({ connectionString: url });
    await setup.connect();
    await setup.query(`CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)`);
    await setup.query(`INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g`);
    await setup.end();
  });
  afterAll(async () => {
    await server.stop();
    await db.close();
  });

  it('never lets concurrent extended-protocol queries of a pool interleave (pglite-socket failed most of these)', async () => {
    const pool = new Pool({ connectionString: url, max: 10 });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const id = (i % 50) + 1;
          try {
            // Two statement shapes with different parameter counts: a Bind of one
            // against the other's unnamed statement is exactly the reported error.
            const { rows } =
              i % 2
                ? await pool.query<{ id: number; v: string }>('SELECT id, v FROM t WHERE id = $1', [id])
                : await pool.query<{ id: number; v: string }>('SELECT id, v FROM t WHERE id = $1 AND v = $2', [id, `v${id}`]);
            return rows.length === 1 && rows[0].id === id && rows[0].v === `v${id}` ? 'ok' : `wrong rows for ${id}: ${JSON.stringify(rows)}`;
          } catch (error) {
            return (error as Error).message;
          }
        }),
      );
      expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('runs a transaction alone: another connection waits for its COMMIT and then sees it', async () => {
    const a = new Client({ connectionString: url });
    const b = new Client({ connectionString: url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE t SET v = 'a' WHERE id = 1`);
      let read: string | undefined;
      const reading = b.query<{ v: string }>('SELECT v FROM t WHERE id = $1', [1]).then((res) => (read = res.rows[0].v));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(read).toBeUndefined(); // queued behind a's open transaction
      await a.query(`UPDATE t SET v = 'a2' WHERE id = 1`);
      await a.query('COMMIT');
      await reading;
      expect(read).toBe('a2');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('rolls back what a vanished connection left open, and hands the backend on', async () => {
    const a = new Client({ connectionString: url });
    a.on('error', () => undefined);
    await a.connect();
    await a.query('BEGIN');
    await a.query(`UPDATE t SET v = 'lost' WHERE id = 2`);
    // The socket goes away without COMMIT, ROLLBACK or Terminate.
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    const b = new Client({ connectionString: url });
    await b.connect();
    try {
      expect((await b.query<{ v: string }>('SELECT v FROM t WHERE id = 2')).rows).toEqual([{ v: 'v2' }]);
    } finally {
      await b.end();
    }
  });

  it('leaves the backend usable after a failed statement in an extended sequence', async () => {
    const pool = new Pool({ connectionString: url, max: 3 });
    try {
      const results = await Promise.allSettled([
        pool.query('SELECT id FROM t WHERE id = $1::int', ['not a number']),
        pool.query('SELECT count(*)::int AS n FROM t'),
        pool.query('SELECT v FROM t WHERE id = $1', [3]),
      ]);
      expect(results[0].status).toBe('rejected');
      expect(results.slice(1).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
