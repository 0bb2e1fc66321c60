// Tenancy of API keys (API guide: Conventions: another organization's id answers 404, never
// 403 and never the data), the CLI bootstrap (API guide: API keys and rotation/§11), and the promise
// that no table stores an API key or an access token in clear (API guide: Authentication).
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type supertest from 'supertest';
import { SCOPES } from '../src/platform/auth/scopes';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const ROOT = path.resolve(__dirname, '..');

/** Every key and token this file hands out, for the clear-storage scan at the end. */
const issued = { keys: new Set<string>(), tokens: new Set<string>() };

// Runs the real CLI entry point (src/cli/main.ts) in a child process, SWC
// stripping the types as under Jest.
const CLI = `
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const options = { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2023' }, module: { type: 'commonjs' } };
require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
process.argv = [process.argv[0], 'cli', ...JSON.parse(process.env.CLI_ARGS)];
require('./src/cli/main.ts');
`;

describe('tenancy, bootstrap and storage of API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function org(): Promise<OrgWithKey> {
    const created = await createOrgWithKey(t);
    issued.keys.add(created.key);
    return created;
  }

  async function keyWith(admin: OrgWithKey, body: Record<string, unknown>): Promise<OrgWithKey> {
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'tenancy', scopes: ['keys:read', 'keys:write'], ...body });
    expect(res.status).toBe(201);
    issued.keys.add(res.body.key as string);
    return { orgId: admin.orgId, keyId: res.body.id as string, key: res.body.key as string };
  }

  async function token(who: OrgWithKey, scope?: string): Promise<string> {
    const value = await tokenFor(t, who, scope);
    issued.tokens.add(value);
    return value;
  }

  async function orgSnapshot(orgId: string): Promise<unknown> {
    const keys = await t.prisma.apiKey.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const events = await t.prisma.outboxEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    // lastUsedAt and dispatchedAt are written in the background (last-use tracker, webhook delivery).
    return { keys: keys.map(({ lastUsedAt: _used, ...rest }) => rest), events: events.map(({ dispatchedAt: _dispatched, ...rest }) => rest) };
  }

  /** A 404 body without what differs per request, to compare "someone else's" with "nobody's". */
  const notFoundShape = (res: Res) => {
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const { requestId: _r, instance: _i, ...rest } = res.body as Record<string, unknown>;
    return rest;
  };

  describe('another organization’s keys', () => {
    it.each(['api key', 'access token'])('answer 404 to GET, rotate and DELETE with an %s, exactly like an unknown id, and stay untouched', async (kind) => {
      const victim = await org();
      const victimKey = await keyWith(victim, { scopes: ['keys:read'] });
      const attacker = await org();
      const credential: [string, string] =
        kind === 'api key' ? ['X-API-Key', attacker.key] : ['Authorization', `Bearer ${await token(attacker)}`];
      const unknownId = 'key_00000000000000000000000000';
      const before = await orgSnapshot(victim.orgId);

      for (const target of [victim.keyId, victimKey.keyId]) {
        const attempts: Array<[string, (id: string) => supertest.Test]> = [
          ['GET', (id) => t.http.get(`/v1/api-keys/${id}`).set(...credential)],
          ['rotate', (id) => t.http.post(`/v1/api-keys/${id}/rotate`).set(...credential).send({ gracePeriodSeconds: 0 })],
          ['DELETE', (id) => t.http.delete(`/v1/api-keys/${id}`).set(...credential)],
        ];
        for (const [, attempt] of attempts) {
          const foreign = await attempt(target);
          const nobody = await attempt(unknownId);
          expect(notFoundShape(foreign)).toEqual(notFoundShape(nobody));
          expect(foreign.text).not.toContain(victim.orgId);
        }
      }
      expect(await orgSnapshot(victim.orgId)).toEqual(before);
      await t.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
      await t.http.get('/v1/api-keys').set('X-API-Key', victimKey.key).expect(200);
    });

    it('never appear in another organization’s list, on any page', async () => {
      const victim = await org();
      const victimKeys = [victim.keyId, (await keyWith(victim, {})).keyId];
      const attacker = await org();
      for (let i = 0; i < 3; i++) await keyWith(attacker, {});
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Res = await t.http.get(`/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set('X-API-Key', attacker.key).expect(200);
        seen.push(...(res.body.data as Array<{ id: string }>).map((k) => k.id));
        cursor = res.body.nextCursor as string | null;
      } while (cursor);
      expect(seen).toHaveLength(4);
      for (const id of victimKeys) expect(seen).not.toContain(id);
      const rows = await t.prisma.apiKey.findMany({ where: { id: { in: seen } } });
      expect(rows.every((r) => r.orgId === attacker.orgId)).toBe(true);
    });

    it('cannot be used as a cursor to read past the caller’s organization', async () => {
      const victim = await org();
      const attacker = await org();
      const cursor = Buffer.from(JSON.stringify({ after: 'key_ZZZZZZZZZZZZZZZZZZZZZZZZZZ' })).toString('base64url');
      const res = await t.http.get(`/v1/api-keys?cursor=${cursor}`).set('X-API-Key', attacker.key).expect(200);
      expect((res.body.data as Array<{ id: string }>).map((k) => k.id)).toEqual([attacker.keyId]);
      expect(res.text).not.toContain(victim.keyId);
    });
  });

  describe('the CLI bootstrap', () => {
    it('org:create --json prints an organization and its first key, which holds every scope', async () => {
      const name = `CLI org ${Date.now()}`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLI], {
        cwd: ROOT,
        env: { ...process.env, ...t.env, CLI_ARGS: JSON.stringify(['org:create', '--name', name, '--json']) },
        timeout: 30_000,
      });
      const printed = JSON.parse(stdout.trim().split('\n').at(-1)!) as { orgId: string; keyId: string; key: string };
      expect(printed).toEqual({ orgId: expect.stringMatching(/^org_/), keyId: expect.stringMatching(/^key_/), key: expect.stringMatching(/^mpk_live_[0-9A-Za-z]{40}$/) });
      issued.keys.add(printed.key);

      const organization = await t.prisma.organization.findUniqueOrThrow({ where: { id: printed.orgId } });
      expect(organization.name).toBe(name);
      const shown = await t.http.get(`/v1/api-keys/${printed.keyId}`).set('X-API-Key', printed.key).expect(200);
      expect([...shown.body.scopes].sort()).toEqual([...SCOPES].sort());
      const res = await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: printed.keyId, client_secret: printed.key }).expect(200);
      issued.tokens.add(res.body.access_token as string);
      expect((res.body.scope as string).split(' ').sort()).toEqual([...SCOPES].sort());
    }, 40_000);

    it('offers no unauthenticated endpoint that creates organizations or keys', async () => {
      // Every writing route the API documents, called without a credential.
      const doc = (await t.http.get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const counts = async () => [await t.prisma.organization.count(), await t.prisma.apiKey.count()];
      const before = await counts();
      let called = 0;
      for (const [route, operations] of Object.entries(doc.paths)) {
        const url = route.replace(/\{[^}]+\}/g, 'key_00000000000000000000000000');
        for (const method of ['post', 'put', 'patch'] as const) {
          if (!(method in operations)) continue;
          const res = await t.http[method](url).send({ name: 'intruder', scopes: [...SCOPES] });
          expect([route, method, res.status < 300]).toEqual([route, method, false]);
          called++;
        }
      }
      expect(called).toBeGreaterThanOrEqual(3); // at least POST /v1/api-keys, rotate, token
      expect(await counts()).toEqual(before);
    });

  });

  describe('storage', () => {
    it('no table stores an API key or an access token in clear (or as an unkeyed hash)', async () => {
      // A scenario touching everything that handles keys and tokens, with Idempotency-Key on every POST.
      const admin = await org();
      const idem = () => `auth-scan-${Math.random().toString(36).slice(2)}`;
      const created = await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', admin.key)
        .set('Idempotency-Key', idem())
        .send({ name: 'scan', scopes: ['keys:read', 'keys:write'], allowedIps: ['127.0.0.0/8', '::1'], expiresAt: '2099-01-01T00:00:00Z' })
        .expect(201);
      issued.keys.add(created.body.key as string);
      const rotated = await t.http.post(`/v1/api-keys/${created.body.id}/rotate`).set('X-API-Key', admin.key).set('Idempotency-Key', idem()).send({}).expect(201);
      issued.keys.add(rotated.body.key as string);
      await t.http.delete(`/v1/api-keys/${rotated.body.id}`).set('X-API-Key', admin.key).expect(204);
      const basic = await t.http
        .post('/v1/oauth/token')
        .set('Authorization', `Basic ${Buffer.from(`${admin.keyId}:${admin.key}`).toString('base64')}`)
        .set('Idempotency-Key', idem())
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'keys:read' })
        .expect(200);
      issued.tokens.add(basic.body.access_token as string);
      const json = await t.http.post('/v1/oauth/token').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key }).expect(200);
      issued.tokens.add(json.body.access_token as string);
      await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${json.body.access_token}`).set('Idempotency-Key', idem()).send({ name: 'via token', scopes: ['keys:read'] }).expect(201)
        .then((r) => issued.keys.add(r.body.key as string));
      // Refused attempts that carry secrets.
      await t.http.get(`/v1/api-keys?api_key=${admin.key}`).expect(401);
      await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'key_00000000000000000000000000', client_secret: admin.key }).expect(401);
      await t.http.post('/v1/api-keys').set('X-API-Key', rotated.body.key as string).send({ name: 'x', scopes: ['keys:read'] }).expect(401);
      await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${basic.body.access_token}x`).expect(401);
      // Let background writers (last-use times, audit of refusals) finish.
      await new Promise((resolve) => setTimeout(resolve, 200));

      const pepper = Buffer.from(t.env.API_KEY_PEPPER, 'base64');
      const textNeedles: string[] = [];
      const byteNeedles: Buffer[] = [];
      for (const key of issued.keys) {
        const sha = createHash('sha256').update(key).digest();
        textNeedles.push(key, key.slice(15), sha.toString('hex'), sha.toString('base64'), sha.toString('base64url'));
        byteNeedles.push(Buffer.from(key), Buffer.from(key.slice(15)), sha);
      }
      for (const value of issued.tokens) {
        const signature = value.split('.')[2];
        textNeedles.push(value, signature);
        byteNeedles.push(Buffer.from(value), Buffer.from(signature, 'base64url'));
      }
      expect(issued.keys.size).toBeGreaterThanOrEqual(6);
      expect(issued.tokens.size).toBeGreaterThanOrEqual(3);

      const columns = await t.prisma.$queryRawUnsafe<Array<{ table_name: string; column_name: string; data_type: string }>>(
        `SELECT c.table_name, c.column_name, c.data_type
           FROM information_schema.columns c
           JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
          WHERE c.table_schema = 'public'
            AND c.data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')
          ORDER BY 1, 2`,
      );
      const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
      const leaks: string[] = [];
      const scanned = new Set<string>();
      let sawKeyHash = false;
      let sawPrefix = false;
      for (const { table_name: table, column_name: column, data_type: type } of columns) {
        scanned.add(table);
        const select = type === 'bytea' ? `encode(${q(column)}, 'hex')` : `${q(column)}::text`;
        const rows = await t.prisma.$queryRawUnsafe<Array<{ v: string }>>(`SELECT ${select} AS v FROM ${q(table)} WHERE ${q(column)} IS NOT NULL`);
        for (const { v } of rows) {
          if (type === 'bytea') {
            const bytes = Buffer.from(v, 'hex');
            if (table === 'api_keys' && column === 'key_hash') {
              sawKeyHash ||= [...issued.keys].some((key) => bytes.equals(createHmac('sha256', pepper).update(key).digest()));
            }
            for (const needle of byteNeedles) if (bytes.includes(needle)) leaks.push(`${table}.${column}`);
          } else {
            if (table === 'api_keys' && column === 'prefix') sawPrefix ||= [...issued.keys].some((key) => key.startsWith(v));
            for (const needle of textNeedles) if (v.includes(needle)) leaks.push(`${table}.${column}`);
          }
        }
      }
      // The scan read what it should (positive controls), and found nothing it should not.
      for (const table of ['api_keys', 'organizations', 'outbox_events']) expect(scanned).toContain(table);
      expect(sawKeyHash).toBe(true);
      expect(sawPrefix).toBe(true);
      expect([...new Set(leaks)]).toEqual([]);
    });
  });
});
