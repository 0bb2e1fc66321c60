// The audit trail resists tampering (API.md §9, issue 9): Postgres itself
// refuses UPDATE, DELETE and TRUNCATE on audit_events (a trigger, so it holds
// for the table's owner and for the superuser these tests connect as); an
// edit made by someone who disables the trigger is found by
// GET /v1/audit-events/verify at the row that was touched; and concurrent
// writers in two processes keep each organization's chain whole.
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../src/generated/prisma/client';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { ChainVerifier, chainHash } from '../src/platform/audit/audit-chain';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;
const APPEND_ONLY = /append-only/;

describe('audit trail integrity', () => {
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

  const chainOf = (orgId: string) => one.prisma.auditEvent.findMany({ where: { orgId }, orderBy: { seq: 'asc' } });
  const verify = (admin: OrgWithKey, app: TestApp = one) => app.http.get('/v1/audit-events/verify').set('X-API-Key', admin.key).expect(200);

  /** An organization whose chain holds `events` events (bootstrap + key creations). */
  async function orgWithEvents(events: number): Promise<{ admin: OrgWithKey; chain: AuditEvent[] }> {
    const admin = await createOrgWithKey(one);
    for (let i = 1; i < events; i++) {
      await one.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: uniqueName('k'), scopes: ['keys:read'] }).expect(201);
    }
    const chain = await chainOf(admin.orgId);
    expect(chain).toHaveLength(events);
    return { admin, chain };
  }

  /** What an attacker with superuser access does: switch the guard off, change the past, switch it back on. */
  async function tamper(sql: string, ...params: unknown[]): Promise<void> {
    await one.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
      expect(await tx.$executeRawUnsafe(sql, ...params)).toBe(1);
      await tx.$executeRawUnsafe('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
    });
  }

  describe('append-only', () => {
    it('runs as the table owner and a superuser, so the refusals below are the trigger’s doing', async () => {
      const [who] = await one.prisma.$queryRaw<Array<{ superuser: boolean; owner: string; me: string }>>`
        SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
               (SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events') AS owner,
               current_user AS me`;
      expect(who.superuser).toBe(true);
      expect(who.owner).toBe(who.me);
    });

    it('refuses UPDATE, DELETE and TRUNCATE in SQL and through Prisma, leaving every row as it was', async () => {
      const { admin, chain } = await orgWithEvents(3);
      const target = chain[1];
      const before = await one.prisma.auditEvent.count();

      await expect(one.prisma.$executeRawUnsafe('UPDATE audit_events SET outcome = $1 WHERE id = $2', 'error', target.id)).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.$executeRawUnsafe('UPDATE audit_events SET changes = NULL')).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.$executeRawUnsafe('DELETE FROM audit_events WHERE id = $1', target.id)).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.$executeRawUnsafe('DELETE FROM audit_events')).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.$executeRawUnsafe('TRUNCATE audit_events')).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.auditEvent.update({ where: { id: target.id }, data: { statusCode: 200 } })).rejects.toThrow(APPEND_ONLY);
      await expect(one.prisma.auditEvent.deleteMany({ where: { orgId: admin.orgId } })).rejects.toThrow(APPEND_ONLY);

      expect(await one.prisma.auditEvent.count()).toBe(before);
      expect(await chainOf(admin.orgId)).toEqual(chain);
      expect((await verify(admin)).body).toEqual({ ok: true, checked: 3 });
    });
  });

  describe('verify', () => {
    it('reports an intact chain with the number of events checked', async () => {
      const { admin } = await orgWithEvents(4);
      expect((await verify(admin)).body).toEqual({ ok: true, checked: 4 });
    });

    it('finds a row edited with the trigger disabled, at that row', async () => {
      const { admin, chain } = await orgWithEvents(5);
      const target = chain[2];
      await tamper(`UPDATE audit_events SET outcome = 'success', status_code = 200, actor_id = 'key_someone_else' WHERE id = $1`, target.id);

      expect((await verify(admin)).body).toEqual({ ok: false, checked: 3, firstBrokenId: target.id });
      // Every instance sees it (nothing cached).
      expect((await verify(admin, two)).body).toEqual({ ok: false, checked: 3, firstBrokenId: target.id });
      // The trigger is back: the same edit without disabling it is refused.
      await expect(one.prisma.$executeRawUnsafe(`UPDATE audit_events SET status_code = 201 WHERE id = $1`, target.id)).rejects.toThrow(APPEND_ONLY);
    });

    it('finds an edit of the JSON changes alone', async () => {
      const { admin, chain } = await orgWithEvents(3);
      const target = chain[1];
      await tamper(`UPDATE audit_events SET changes = jsonb_set(changes, '{values,scopes}', '["audit:read"]') WHERE id = $1`, target.id);
      expect((await verify(admin)).body).toEqual({ ok: false, checked: 2, firstBrokenId: target.id });
    });

    it('finds a deleted row at the one after it', async () => {
      const { admin, chain } = await orgWithEvents(4);
      await tamper('DELETE FROM audit_events WHERE id = $1', chain[1].id);
      expect((await verify(admin)).body).toEqual({ ok: false, checked: 2, firstBrokenId: chain[2].id });
    });

    it('finds an edited row whose hash was recomputed, at the next link', async () => {
      const { admin, chain } = await orgWithEvents(4);
      const forged = { ...chain[1], action: 'api_key.revoke' };
      await tamper('UPDATE audit_events SET action = $1, hash = $2 WHERE id = $3', forged.action, chainHash(forged.prevHash, forged), forged.id);
      expect((await verify(admin)).body).toEqual({ ok: false, checked: 3, firstBrokenId: chain[2].id });
    });

    it('keeps other organizations’ chains out of it', async () => {
      const { admin: broken, chain } = await orgWithEvents(3);
      const { admin: intact } = await orgWithEvents(3);
      await tamper(`UPDATE audit_events SET status_code = 500 WHERE id = $1`, chain[2].id);
      expect((await verify(broken)).body).toMatchObject({ ok: false, firstBrokenId: chain[2].id });
      expect((await verify(intact)).body).toEqual({ ok: true, checked: 3 });
    });
  });

  describe('concurrent writers', () => {
    function expectWholeChain(chain: AuditEvent[]): void {
      expect(chain.map((e) => Number(e.seq))).toEqual(chain.map((_, i) => i + 1));
      const verifier = new ChainVerifier();
      for (const event of chain) verifier.feed(event);
      expect(verifier.result()).toEqual({ ok: true, checked: chain.length });
    }

    it('keeps the chain whole under 20 concurrent changes and 6 refusals on two instances', async () => {
      const admin = await createOrgWithKey(one);
      const reader = await one.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'reader', scopes: ['keys:read'] }).expect(201);
      const changes = Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? one : two).http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: uniqueName(`concurrent ${i}`), scopes: ['keys:read'] }),
      );
      const refusals = Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? (i % 4 === 0 ? one : two).http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'bad', scopes: ['nope'] }) // 400, own transaction
          : (i % 4 === 1 ? one : two).http.post('/v1/api-keys').set('X-API-Key', reader.body.key).send({ name: 'no', scopes: ['keys:read'] }), // 403 from the guard
      );
      const responses = await Promise.all([...changes, ...refusals]);
      expect(responses.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(responses.slice(20).map((r) => r.status).sort()).toEqual([400, 400, 400, 403, 403, 403]);

      const chain = await chainOf(admin.orgId);
      expect(chain).toHaveLength(1 + 1 + 20 + 6);
      expectWholeChain(chain);
      for (const res of responses) expect(chain.filter((e) => e.requestId === res.headers['x-request-id'])).toHaveLength(1);
      expect((await verify(admin)).body).toEqual({ ok: true, checked: chain.length });
      expect((await verify(admin, two)).body).toEqual({ ok: true, checked: chain.length });
    });

    it('keeps the chain of events outside any organization whole under concurrent 401s, counted per address', async () => {
      await Promise.all([one.flushAudit(), two.flushAudit()]);
      const before = await one.prisma.auditEvent.count({ where: { orgId: null } });
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? one : two).http.get('/v1/api-keys').set('X-API-Key', generateApiKey('live'))),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(12).fill(401));
      await Promise.all([one.flushAudit(), two.flushAudit()]);
      const chain = await one.prisma.auditEvent.findMany({ where: { orgId: null }, orderBy: { seq: 'asc' } });
      expectWholeChain(chain);
      // One event per instance and bucket, each counting its refusals: 12 in all.
      const added = chain.slice(before);
      expect(added.length).toBeLessThanOrEqual(2);
      expect(added.reduce((n, e) => n + (e.changes as { count: number }).count, 0)).toBe(12);
    });
  });
});
