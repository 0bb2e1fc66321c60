// Attacks on the cost and the reach of refusals (hardening issue, items 1, 6
// and 9): a flood of made-up keys must not queue tenants behind the audit
// trail, a key probing routes it may not use spends its rate limit, and a
// refusal of a known caller lands in that caller's organization.
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, type TestApp } from './helpers/test-app';

describe('refusals (hardening)', () => {
  describe('a flood of made-up keys', () => {
    let t: TestApp;
    let base: string;
    let observer: Pool;

    beforeAll(async () => {
      // A small tenant pool, as the attack run had (10 connections, 8 of them stuck): here 4.
      t = await startTestApp({ env: { DATABASE_POOL_SIZE: '4' } });
      await t.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      observer = new Pool({ connectionString: t.database.url, max: 1 });
    });
    afterAll(async () => {
      await observer?.end();
      await t?.close();
    });

    it('never makes a tenant connection wait on the audit trail, and is recorded as counts per address', async () => {
      const tenant = await createOrgWithKey(t);
      const release = await fetch(`${base}/v1/releases`, {
        method: 'POST',
        headers: { 'X-API-Key': tenant.key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Under siege', artists: ['Nina Simone'] }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      await t.flushAudit();
      const anonymousBefore = await t.prisma.auditEvent.count({ where: { orgId: null } });

      const FLOOD = 1200;
      const CONCURRENCY = 64;
      const fake = generateApiKey('live');
      let sent = 0;
      const statuses = new Map<number, number>();
      const attacker = async () => {
        while (sent < FLOOD) {
          sent++;
          const res = await fetch(`${base}/v1/releases/${release.id}`, { headers: { 'X-API-Key': fake } });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      };
      // While it runs: how many of the database's connections wait on a lock, and does the tenant get through.
      let done = false;
      let maxLockWaiters = 0;
      const watcher = (async () => {
        while (!done) {
          const { rows } = await observer.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
          );
          maxLockWaiters = Math.max(maxLockWaiters, Number(rows[0].n));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const tenantStatuses: number[] = [];
      const tenantReads = (async () => {
        while (!done) {
          const res = await fetch(`${base}/v1/releases/${release.id}`, { headers: { 'X-API-Key': tenant.key } });
          await res.arrayBuffer();
          tenantStatuses.push(res.status);
        }
      })();

      await Promise.all(Array.from({ length: CONCURRENCY }, attacker));
      done = true;
      await Promise.all([watcher, tenantReads]);

      expect(Object.fromEntries(statuses)).toEqual({ 401: FLOOD });
      expect(tenantStatuses.length).toBeGreaterThan(0);
      expect(new Set(tenantStatuses)).toEqual(new Set([200]));
      expect(maxLockWaiters).toBe(0);

      // Recorded all the same: one event per address and window, counting every refusal.
      await t.flushAudit();
      const added = await t.prisma.auditEvent.findMany({ where: { orgId: null }, orderBy: { seq: 'asc' }, skip: anonymousBefore });
      expect(added.length).toBeLessThanOrEqual(Math.ceil(FLOOD / 10));
      expect(added.reduce((n, e) => n + (e.changes as { count: number }).count, 0)).toBe(FLOOD);
      expect(added[0]).toMatchObject({ actorType: 'anonymous', action: 'auth.authenticate', statusCode: 401, changes: { reason: 'key_unknown', route: '/v1/releases/:id' } });
    });
  });

  describe('scope denials', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { THROTTLE_DEFAULT: '5/60' } });
    });
    afterAll(async () => t?.close());

    it('count against the key’s rate limit: probing a route it may not use ends in 429', async () => {
      const reader = await createOrgWithKey(t, ['releases:read']);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await t.http.post('/v1/api-keys').set('X-API-Key', reader.key).send({ name: 'escalate', scopes: ['keys:write'] });
        statuses.push(res.status);
        if (res.status === 403) expect(res.headers['ratelimit']).toBe(`"default";r=${4 - i};t=${res.headers['ratelimit'].split('t=')[1]}`);
      }
      expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429, 429]);
    });
  });

  describe('refusals of a known caller', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { JSON_BODY_LIMIT_BYTES: '2048' } });
    });
    afterAll(async () => t?.close());

    const eventOf = async (res: { headers: Record<string, string> }) => {
      await t.flushAudit();
      return t.prisma.auditEvent.findFirst({ where: { requestId: res.headers['x-request-id'] } });
    };

    it('audits a 404 for another tenant’s resource in the prober’s organization, naming the id', async () => {
      const victim = await createOrgWithKey(t);
      const prober = await createOrgWithKey(t);
      const release = await t.http.post('/v1/releases').set('X-API-Key', victim.key).send({ title: 'Not yours', artists: ['A'] }).expect(201);

      const read = await t.http.get(`/v1/releases/${release.body.id}`).set('X-API-Key', prober.key).expect(404);
      expect(await eventOf(read)).toMatchObject({
        orgId: prober.orgId,
        actorType: 'api_key',
        actorId: prober.keyId,
        action: 'resource.not_found',
        resourceId: release.body.id,
        outcome: 'denied',
        statusCode: 404,
      });
      const removal = await t.http.delete(`/v1/releases/${release.body.id}`).set('X-API-Key', prober.key).expect(404);
      expect(await eventOf(removal)).toMatchObject({ orgId: prober.orgId, actorId: prober.keyId, resourceId: release.body.id, statusCode: 404 });
      // Nothing about the probe reaches the victim's trail.
      expect(await t.prisma.auditEvent.count({ where: { orgId: victim.orgId, statusCode: 404 } })).toBe(0);
    });

    it('audits a 413 and a 415 sent with a valid key in that key’s organization', async () => {
      const caller = await createOrgWithKey(t);
      const tooLarge = await t.http
        .post('/v1/releases')
        .set('X-API-Key', caller.key)
        .send({ title: 'x'.repeat(4096), artists: ['A'] })
        .expect(413);
      expect(await eventOf(tooLarge)).toMatchObject({ orgId: caller.orgId, actorType: 'api_key', actorId: caller.keyId, statusCode: 413, outcome: 'denied' });

      const wrongType = await t.http.post('/v1/releases').set('X-API-Key', caller.key).set('Content-Type', 'text/plain').send('title=x').expect(415);
      expect(await eventOf(wrongType)).toMatchObject({ orgId: caller.orgId, actorId: caller.keyId, statusCode: 415 });
    });

    it('keeps a 413 with a made-up key anonymous', async () => {
      const res = await t.http.post('/v1/releases').set('X-API-Key', generateApiKey('live')).send({ title: 'x'.repeat(4096) }).expect(413);
      expect(await eventOf(res)).toMatchObject({ orgId: null, actorType: 'anonymous', statusCode: 413 });
    });
  });
});
