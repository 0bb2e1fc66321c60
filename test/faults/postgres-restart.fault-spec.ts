// Fault: the PostgreSQL cluster restarts under load (API guide: Operations, issue 11).
// A steady stream of POST /v1/releases and GETs runs against one API process
// while the cluster is stopped (fast shutdown: sessions are cut) and started
// again a few seconds later. During the outage every request fails fast with a
// 503 problem+json that says nothing about the internals; afterwards the same
// process serves again by itself; and every release the API answered 2xx for
// exists in the database.
import { adminUrl, createFaultDatabase, FaultDatabase } from './helpers/fault-database';
import { call, INTERNALS, Outcome, sleep, summarize, timeline, waitUntil } from './helpers/http-client';
import { ApiProcess, createOrganization, deploymentEnv, Organization, startApi, stopAllProcesses } from './helpers/processes';
import { ensureServicesRunning, postgresAccepts, startPostgres, stopPostgres } from './helpers/services';

const CLIENTS = 4;
/** How long the cluster stays down: long enough to see many requests fail, short for the other runs on the cluster. */
const OUTAGE_MS = 3000;
/** "Fail fast": no request may take longer than this, outage or not. */
const FAST_MS = 3000;

describe('PostgreSQL restarted under load', () => {
  let database: FaultDatabase;
  let api: ApiProcess;
  let org: Organization;

  beforeAll(async () => {
    database = await createFaultDatabase();
    const env = deploymentEnv(database.url);
    org = await createOrganization(env);
    api = await startApi(env);
  });

  afterAll(async () => {
    await stopAllProcesses();
    await ensureServicesRunning(adminUrl());
    await database?.drop();
  });

  it('answers 503 problem+json fast during the outage, recovers by itself, loses no acknowledged write', async () => {
    const headers = { 'X-API-Key': org.key };
    const outcomes: Outcome[] = [];
    const created: string[] = [];
    let stopping = false;

    // Each client: create a release, read it back, list; over and over.
    const client = async (n: number) => {
      for (let i = 0; !stopping; i++) {
        const post = await call(api.baseUrl, 'POST', '/v1/releases', { headers, body: { title: `Load ${n}.${i}`, artists: ['Fault Tester'] } });
        outcomes.push(post);
        if (post.status === 201) created.push(post.json.id as string);
        const id = created[created.length - 1];
        if (id) outcomes.push(await call(api.baseUrl, 'GET', `/v1/releases/${id}`, { headers }));
        outcomes.push(await call(api.baseUrl, 'GET', '/v1/releases?limit=5', { headers }));
        await sleep(20);
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));

    let outage: { from: number; to: number } | undefined;
    let readyDuringOutage: Outcome | undefined;
    let recoveredAfterMs: number | undefined;
    try {
      await sleep(1500);
      expect(outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(0);

      await stopPostgres();
      const from = Date.now();
      await sleep(OUTAGE_MS / 2);
      readyDuringOutage = await call(api.baseUrl, 'GET', '/health/ready');
      await sleep(OUTAGE_MS / 2);
      const to = Date.now();
      outage = { from, to };
      await startPostgres(adminUrl());
      const back = Date.now();

      // Recovery without touching the API process: the next writes succeed again.
      await waitUntil(
        'the API serves writes again after PostgreSQL came back',
        () => outcomes.some((o) => o.method === 'POST' && o.startedAt > back && o.status === 201),
        15_000,
      );
      recoveredAfterMs = Date.now() - back;
      await sleep(1500);
    } finally {
      stopping = true;
      await Promise.all(clients);
      if (!(await postgresAccepts(adminUrl()))) await startPostgres(adminUrl());
    }

    const t0 = outcomes[0].startedAt;
    const context = () => `\ntimeline (request start → statuses):\n${timeline(outcomes, t0)}\n${api.describe()}`;

    // The API process never died or restarted.
    expect(api.running).toBe(true);

    // During the outage: only 503s, each a problem+json saying nothing internal, each fast.
    const during = outcomes.filter((o) => o.startedAt >= outage!.from && o.endedAt <= outage!.to);
    expect(during.length).toBeGreaterThan(CLIENTS);
    const wrongDuring = during.filter((o) => o.status !== 503 || !o.contentType.startsWith('application/problem+json') || o.json?.status !== 503);
    if (wrongDuring.length) throw new Error(`requests during the outage that were not 503 problem+json:\n${summarize(wrongDuring, t0)}${context()}`);
    expect(readyDuringOutage?.status).toBe(503);

    // Whatever the phase: 2xx or 503, never a 500, a hang or a dropped connection; never internals in a body.
    const unexpected = outcomes.filter((o) => !(o.status >= 200 && o.status < 300) && o.status !== 503);
    if (unexpected.length) throw new Error(`statuses other than 2xx/503:\n${summarize(unexpected, t0)}${context()}`);
    const leaking = outcomes.filter((o) => o.status === 503 && INTERNALS.test(o.text));
    if (leaking.length) throw new Error(`503 bodies naming internals:\n${summarize(leaking, t0)}`);
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect(o.json).toMatchObject({ status: 503, title: expect.any(String), requestId: expect.any(String) });
      expect(o.headers?.get('retry-after')).toMatch(/^\d+$/);
    }
    const slow = outcomes.filter((o) => o.durationMs >= FAST_MS);
    if (slow.length) throw new Error(`requests slower than ${FAST_MS} ms:\n${summarize(slow, t0)}${context()}`);

    // After recovery every client is served again.
    const tail = outcomes.filter((o) => o.startedAt > outage!.to + recoveredAfterMs! + 500);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.filter((o) => o.status !== 200 && o.status !== 201)).toEqual([]);
    expect((await call(api.baseUrl, 'GET', '/health/ready')).status).toBe(200);

    // No acknowledged write is missing.
    const rows = await database.query<{ id: string }>('SELECT id FROM releases WHERE org_id = $1 AND id = ANY($2::text[])', [org.orgId, created]);
    const found = new Set(rows.map((r) => r.id));
    expect(created.filter((id) => !found.has(id))).toEqual([]);
    console.log(
      `postgres restart: ${outcomes.length} requests, ${created.length} releases created, ${during.length} during the ${outage!.to - outage!.from} ms outage ` +
        `(slowest ${Math.max(...during.map((o) => o.durationMs))} ms), writes served again ${recoveredAfterMs} ms after the cluster accepted connections`,
    );
  });
});
