// The audit trail resists tampering (API guide: Audit trail, issue 9): Postgres itself
// refuses UPDATE, DELETE and TRUNCATE on audit_events (a trigger, so it holds
// for the table's owner and for the superuser these tests connect as); an
// edit made by someone who disables the trigger is found by
// GET /v1/audit-events/verify at the row that was touched; and concurrent
// writers in two processes keep each organization's chain whole.
// Issue 14.4: the chain is keyed (HMAC under AUDIT_HMAC_KEY, which the
// database does not hold), so recomputing it after an edit does not verify;
// and signed checkpoints reveal deleted newest events, which leave a chain
// that links up.
import { createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { decode, verify as verifyJws } from 'jsonwebtoken';
import { AppConfig } from '../src/config/app-config';
import type { AuditEvent } from '../src/generated/prisma/client';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { ChainVerifier, KEYED_HASH_VERSION, LEGACY_HASH_VERSION, chainHash, legacyChainHash } from '../src/platform/audit/audit-chain';
import type { AuditDraft } from '../src/platform/audit/audit-draft';
import { AuditClient, appendAuditEvent } from '../src/platform/audit/audit-trail';
import { ChainHeadForecast } from '../src/platform/audit/chain-head-forecast';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

const uniqueName = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

interface Checkpoint {
  orgId: string;
  seq: string;
  hash: string;
  issuedAt: string;
  signature: string;
}
const APPEND_ONLY = /append-only/;

describe('audit trail integrity', () => {
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    // One key pair for both instances, as in a deployment: a checkpoint either signed verifies on the other.
    const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    one = await startTestApp({ env: { JWT_PRIVATE_KEY: jwtKey } });
    two = await startTestApp({ database: one.database, env: { JWT_PRIVATE_KEY: jwtKey } });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  const chainOf = (orgId: string) => one.prisma.auditEvent.findMany({ where: { orgId }, orderBy: { seq: 'asc' } });
  /** The verify result; its signed checkpoint (present when ok) apart, so results compare with toEqual. */
  async function verify(admin: OrgWithKey, app: TestApp = one, checkpoint?: string): Promise<{ body: Record<string, unknown>; checkpoint?: Checkpoint }> {
    const res = await app.http.get('/v1/audit-events/verify').query(checkpoint ? { checkpoint } : {}).set('X-API-Key', admin.key).expect(200);
    const { checkpoint: signed, ...body } = res.body;
    expect(signed !== undefined).toBe(body.ok);
    return { body, checkpoint: signed };
  }
  const checkpointOf = async (admin: OrgWithKey, app: TestApp = one): Promise<Checkpoint> =>
    (await app.http.get('/v1/audit-events/checkpoint').set('X-API-Key', admin.key).expect(200)).body;
  const chainKey = () => one.app.get(AppConfig).auditHmacKey;

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

    it('finds an edited row whose hash was recomputed without the key, at that row', async () => {
      const { admin, chain } = await orgWithEvents(4);
      const forged = { ...chain[1], action: 'api_key.revoke' };
      await tamper('UPDATE audit_events SET action = $1, hash = $2 WHERE id = $3', forged.action, legacyChainHash(forged.prevHash, forged), forged.id);
      expect((await verify(admin)).body).toEqual({ ok: false, checked: 2, firstBrokenId: chain[1].id });
    });

    it('finds an edited row even when it was re-hashed with the key, at the next link', async () => {
      const { admin, chain } = await orgWithEvents(4);
      const forged = { ...chain[1], action: 'api_key.revoke' };
      await tamper('UPDATE audit_events SET action = $1, hash = $2 WHERE id = $3', forged.action, chainHash(forged.prevHash, forged, chainKey()), forged.id);
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

  describe('keyed chain and checkpoints (issue 14.4)', () => {
    /** Superuser, trigger off: run `statements` in one transaction. */
    async function tamperAll(statements: Array<[string, ...unknown[]]>): Promise<void> {
      await one.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
        for (const [sql, ...params] of statements) await tx.$executeRawUnsafe(sql, ...params);
        await tx.$executeRawUnsafe('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
      });
    }

    /**
     * The attack that used to verify: edit a row, then recompute every hash
     * from it to the tail with plain SHA-256 (all a database writer can
     * compute), and move the chain's head to match.
     */
    async function rechainWithoutKey(orgId: string, chain: AuditEvent[], from: number, edit: Partial<AuditEvent>, hashVersion: number): Promise<void> {
      const statements: Array<[string, ...unknown[]]> = [];
      let prev = chain[from].prevHash;
      for (const [i, row] of chain.entries()) {
        if (i < from) continue;
        const event = i === from ? { ...row, ...edit } : row;
        const hash = legacyChainHash(prev, event);
        statements.push([
          'UPDATE audit_events SET action = $1, outcome = $2, status_code = $3, prev_hash = $4, hash = $5, hash_version = $6 WHERE id = $7',
          event.action, event.outcome, event.statusCode, prev, hash, hashVersion, row.id,
        ]);
        prev = hash;
      }
      statements.push(['UPDATE audit_chain_heads SET hash = $1 WHERE chain = $2', prev, orgId]);
      await tamperAll(statements);
    }

    it('writes every new event with the keyed hash, which plain SHA-256 does not reproduce', async () => {
      const { chain } = await orgWithEvents(2);
      for (const event of chain) {
        expect(event.hashVersion).toBe(KEYED_HASH_VERSION);
        expect(event.hash).toBe(chainHash(event.prevHash, event, chainKey()));
        expect(event.hash).not.toBe(legacyChainHash(event.prevHash, event));
      }
    });

    it('does not verify a chain recomputed with plain SHA-256 after an edit, whichever hash version the rows claim', async () => {
      for (const version of [KEYED_HASH_VERSION, LEGACY_HASH_VERSION]) {
        const { admin, chain } = await orgWithEvents(4);
        await rechainWithoutKey(admin.orgId, chain, 1, { action: 'api_key.revoke', outcome: 'denied', statusCode: 403 }, version);
        expect((await verify(admin)).body).toEqual({ ok: false, checked: 2, firstBrokenId: chain[1].id });
      }
    });

    it('reveals deleted newest events through a checkpoint kept before, and refuses to sign the shortened chain’s head if forged', async () => {
      const { admin, chain } = await orgWithEvents(5);
      const kept = await checkpointOf(admin);
      expect(kept).toMatchObject({ orgId: admin.orgId, seq: '5', hash: chain[4].hash });

      // Delete the two newest events and put the head back, as a careful superuser would.
      await tamperAll([
        ['DELETE FROM audit_events WHERE id = ANY($1::text[])', [chain[3].id, chain[4].id]],
        ['UPDATE audit_chain_heads SET seq = 3, hash = $1 WHERE chain = $2', chain[2].hash, admin.orgId],
      ]);
      // On its own the rest still links up…
      expect((await verify(admin)).body).toEqual({ ok: true, checked: 3 });
      // …but not against what the client kept.
      const against = await verify(admin, one, kept.signature);
      expect(against.body).toEqual({ ok: false, checked: 3, checkpointComparison: 'truncated' });
      expect(against.checkpoint).toBeUndefined();
      // Every instance judges the checkpoint the same way (the key pair is the deployment's, not the process's).
      expect((await verify(admin, two, kept.signature)).body).toEqual({ ok: false, checked: 3, checkpointComparison: 'truncated' });
    });

    it('reveals a rewritten chain at a checkpoint’s position', async () => {
      const { admin, chain } = await orgWithEvents(3);
      const kept = await checkpointOf(admin);
      await rechainWithoutKey(admin.orgId, chain, 0, { outcome: 'denied' }, LEGACY_HASH_VERSION);
      expect((await verify(admin, one, kept.signature)).body).toEqual({ ok: false, checked: 1, firstBrokenId: chain[0].id, checkpointComparison: 'unreached' });
    });

    it('matches a checkpoint the chain still holds, after more events were appended', async () => {
      const { admin } = await orgWithEvents(2);
      const first = await verify(admin);
      expect(first.body).toEqual({ ok: true, checked: 2 });
      await one.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: uniqueName('later'), scopes: ['keys:read'] }).expect(201);
      const later = await verify(admin, two, first.checkpoint!.signature);
      expect(later.body).toEqual({ ok: true, checked: 3, checkpointComparison: 'match' });
      expect(later.checkpoint).toMatchObject({ orgId: admin.orgId, seq: '3' });
    });

    it('signs checkpoints with the published JWT key pair, as statements no bearer strategy accepts', async () => {
      const admin = await createOrgWithKey(one);
      const kept = await checkpointOf(admin);
      const jwks = (await one.http.get('/.well-known/jwks.json').expect(200)).body as { keys: Array<JsonWebKey & { kid: string }> };
      const header = decode(kept.signature, { complete: true })!.header;
      expect(header).toMatchObject({ alg: 'ES256', typ: 'audit-checkpoint+jwt' });
      const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
      const payload = verifyJws(kept.signature, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['ES256'] });
      expect(payload).toMatchObject({ orgId: kept.orgId, seq: kept.seq, hash: kept.hash, issuedAt: kept.issuedAt });
      expect(Date.parse(kept.issuedAt)).toBeGreaterThan(Date.now() - 60_000);
      // Not a credential.
      await one.http.get('/v1/api-keys').set('Authorization', `Bearer ${kept.signature}`).expect(401);
    });

    it('refuses a forged, altered or foreign checkpoint with a validation problem', async () => {
      const admin = await createOrgWithKey(one);
      const other = await createOrgWithKey(one);
      const kept = await checkpointOf(admin);
      const [h, p, sig] = kept.signature.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      const altered = `${h}.${Buffer.from(JSON.stringify({ ...claims, seq: String(Number(claims.seq) + 1) })).toString('base64url')}.${sig}`;
      const token = (await one.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key }).expect(200)).body.access_token;
      for (const [who, jws] of [[admin, altered], [admin, 'not-a-jws'], [admin, token], [other, kept.signature]] as const) {
        const res = await one.http.get('/v1/audit-events/verify').query({ checkpoint: jws }).set('X-API-Key', who.key).expect(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#validation-error', errors: [{ field: 'checkpoint' }] });
      }
    });

    it('issues no checkpoint for a forged newest event (409 audit-chain-broken)', async () => {
      const { admin, chain } = await orgWithEvents(2);
      await tamper('UPDATE audit_events SET outcome = $1 WHERE id = $2', 'denied', chain[1].id);
      const res = await one.http.get('/v1/audit-events/checkpoint').set('X-API-Key', admin.key).expect(409);
      expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#audit-chain-broken', status: 409 });
    });

    it('still verifies rows hashed before the keyed chain (version 1), up to the chain’s migrated length only', async () => {
      const { admin, chain } = await orgWithEvents(4);
      // What the migration leaves behind: the first three rows hashed the old way,
      // legacy_seq = 3; the fourth, keyed, links to them.
      const statements: Array<[string, ...unknown[]]> = [];
      let prev = chain[0].prevHash;
      for (const row of chain.slice(0, 3)) {
        const hash = legacyChainHash(prev, row);
        statements.push(['UPDATE audit_events SET prev_hash = $1, hash = $2, hash_version = 1 WHERE id = $3', prev, hash, row.id]);
        prev = hash;
      }
      const fourth = { ...chain[3], prevHash: prev };
      statements.push(['UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE id = $3', prev, chainHash(prev, fourth, chainKey()), chain[3].id]);
      await tamperAll(statements);

      await one.prisma.auditChainHead.update({ where: { chain: admin.orgId }, data: { legacySeq: 3n } });
      expect((await verify(admin)).body).toEqual({ ok: true, checked: 4 });
      await one.prisma.auditChainHead.update({ where: { chain: admin.orgId }, data: { legacySeq: 2n } });
      expect((await verify(admin)).body).toEqual({ ok: false, checked: 3, firstBrokenId: chain[2].id });
    });
  });

  describe('concurrent writers', () => {
    function expectWholeChain(chain: AuditEvent[]): void {
      expect(chain.map((e) => Number(e.seq))).toEqual(chain.map((_, i) => i + 1));
      const verifier = new ChainVerifier(chainKey());
      for (const event of chain) verifier.feed(event);
      expect(verifier.result()).toMatchObject({ ok: true, checked: chain.length });
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

    describe('the forecast of the chain head (one statement per append while it holds)', () => {
      const draft = (orgId: string, action: string): AuditDraft => ({
        orgId, actorType: 'system', actorId: null, action, resourceType: null, resourceId: null,
        outcome: 'success', statusCode: 200, ip: null, userAgent: null, requestId: null, changes: { step: action },
      });
      /** Appends in a transaction of its own and tells how many statements the append sent. */
      async function append(app: TestApp, forecast: ChainHeadForecast, event: AuditDraft, rollback = false): Promise<number> {
        let statements = 0;
        const counted: AuditClient = {
          $queryRaw: ((...args: Parameters<AuditClient['$queryRaw']>) => (statements++, app.db.tx.$queryRaw(...args))) as AuditClient['$queryRaw'],
          $executeRaw: ((...args: Parameters<AuditClient['$executeRaw']>) => (statements++, app.db.tx.$executeRaw(...args))) as AuditClient['$executeRaw'],
        };
        const rolledBack = new Error('rolled back on purpose');
        await app.db
          .withTransaction(async () => {
            await appendAuditEvent(counted, event, chainKey(), forecast);
            if (rollback) throw rolledBack;
          })
          .catch((error: unknown) => {
            if (error !== rolledBack) throw error;
          });
        return statements;
      }

      it('takes one statement when the head is where it expects, two when another instance, a rollback or an unknown chain moved it, and links every event', async () => {
        const { orgId } = await createOrgWithKey(one);
        const here = new ChainHeadForecast();
        const elsewhere = new ChainHeadForecast();
        const steps: Array<[string, number]> = [];
        steps.push(['first append here: nothing forecast', await append(one, here, draft(orgId, 'a'))]);
        steps.push(['next append here', await append(one, here, draft(orgId, 'b'))]);
        steps.push(['another instance', await append(two, elsewhere, draft(orgId, 'c'))]);
        steps.push(['here again, after it', await append(one, here, draft(orgId, 'd'))]);
        steps.push(['here, rolled back', await append(one, here, draft(orgId, 'e'), true)]);
        steps.push(['here, after the rollback', await append(one, here, draft(orgId, 'f'))]);
        steps.push(['here, in step again', await append(one, here, draft(orgId, 'g'))]);
        expect(steps).toEqual([
          ['first append here: nothing forecast', 2],
          ['next append here', 1],
          ['another instance', 2],
          ['here again, after it', 2],
          ['here, rolled back', 1],
          ['here, after the rollback', 2],
          ['here, in step again', 1],
        ]);
        const chain = await chainOf(orgId);
        expect(chain.map((e) => e.action).slice(-6)).toEqual(['a', 'b', 'c', 'd', 'f', 'g']);
        expectWholeChain(chain);
      });

      it('starts a chain the database does not have at seq 1, whatever the forecast said', async () => {
        const forecast = new ChainHeadForecast();
        const stranger = `org_${randomUUID().replaceAll('-', '').slice(0, 26)}`;
        forecast.advance(stranger, { seq: 41n, hash: 'f'.repeat(64) });
        await one.prisma.$executeRaw`INSERT INTO organizations (id, name) VALUES (${stranger}, ${uniqueName('stranger')})`;
        expect(await append(one, forecast, draft(stranger, 'first'))).toBe(2);
        expect(await append(one, forecast, draft(stranger, 'second'))).toBe(1);
        const chain = await one.prisma.auditEvent.findMany({ where: { orgId: stranger }, orderBy: { seq: 'asc' } });
        expect(chain.map((e) => [Number(e.seq), e.action])).toEqual([[1, 'first'], [2, 'second']]);
        expectWholeChain(chain);
      });

      it('lines up 16 concurrent appends of one process, each in one statement, and keeps the chain whole', async () => {
        const { orgId } = await createOrgWithKey(one);
        const forecast = new ChainHeadForecast();
        await append(one, forecast, draft(orgId, 'warm'));
        const statements = await Promise.all(Array.from({ length: 16 }, (_, i) => append(one, forecast, draft(orgId, `race ${i}`))));
        expect(statements).toEqual(Array(16).fill(1));
        const chain = await chainOf(orgId);
        expect(chain.filter((e) => e.action.startsWith('race '))).toHaveLength(16);
        expectWholeChain(chain);
      });
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
      // One event per instance, bucket and window, each counting its refusals: 12 in all. On a
      // loaded machine the burst can straddle an instance's once-a-second flush, hence up to 2 each.
      const added = chain.slice(before);
      expect(added.length).toBeLessThanOrEqual(4);
      expect(added.reduce((n, e) => n + (e.changes as { count: number }).count, 0)).toBe(12);
    });
  });
});
