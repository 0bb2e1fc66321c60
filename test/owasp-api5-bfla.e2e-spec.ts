// OWASP API5:2023 Broken Function Level Authorization. Every route the
// OpenAPI document lists is tried with a credential holding every scope but
// the one(s) it declares — as an API key and as an access token — and must
// answer 403 naming exactly what is missing, changing nothing; read-only
// credentials cannot write anywhere; the publish scope guards back-office
// transitions; and keys:write cannot mint, rotate or revoke its way to more
// power (scopes, IP allowlist, expiry). The only unauthenticated routes are
// the ones meant to be.
import { SCOPES, type Scope } from '../src/platform/auth/scopes';
import { tokenFor } from './helpers/factories';
import { fetchOpenApi, fillPath, OpenApiDocument, Operation, operationsOf, sampleOf } from './helpers/openapi-operations';
import { expectProblemJson } from './helpers/problem-json';
import { keyWithScopes, PUBLIC_WEBHOOK_URL, SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import type { TestApp } from './helpers/test-app';

const READ_SCOPES: Scope[] = SCOPES.filter((s) => s.endsWith(':read'));
const PUBLIC_OPERATIONS = ['get /health/live', 'get /health/ready', 'get /.well-known/jwks.json', 'get /.well-known/oauth-authorization-server', 'post /v1/oauth/token', 'post /v1/partners/{partnerId}/callbacks', 'post /v1/credential-leaks'];

describe('OWASP API5 — broken function level authorization', () => {
  let t: TestApp;
  let us: SeededTenant;
  let doc: OpenApiDocument;
  /** For each scope, a key of our organization holding every scope but it. */
  const allBut = new Map<string, { keyId: string; key: string }>();

  beforeAll(async () => {
    t = await startSecurityApp();
    us = await seedTenant(t, 'bfla');
    doc = await fetchOpenApi(t);
    for (const scope of SCOPES) allBut.set(scope, await keyWithScopes(t, us, SCOPES.filter((s) => s !== scope), `all but ${scope}`));
  });
  afterAll(() => t.close());

  const label = (op: Operation) => `${op.method} ${op.path}`;

  function pathOf(op: Operation): string {
    const id = op.path.startsWith('/v1/api-keys')
      ? us.spareKeyId
      : op.path.startsWith('/v1/webhook-endpoints')
        ? us.endpointId
        : op.path.startsWith('/v1/uploads')
          ? us.uploadId
          : op.path.startsWith('/v1/webhook-messages')
            ? us.messageId
            : us.releaseId;
    return fillPath(op.path, { id, releaseId: us.releaseId, trackId: us.trackId, partnerId: us.partnerId });
  }

  function bodyOf(op: Operation): object | undefined {
    if (!op.body || op.body.mediaType !== 'application/json') return undefined;
    const body = sampleOf(doc, op.body.schema) as Record<string, unknown>;
    if ('url' in body) body.url = PUBLIC_WEBHOOK_URL;
    return body;
  }

  function call(op: Operation, credential: [string, string]) {
    const req = t.http[op.method](pathOf(op)).set(...credential);
    const body = bodyOf(op);
    return body ? req.send(body) : req;
  }

  it('documents a scope on every route except the public ones', () => {
    const unscoped = operationsOf(doc).filter((op) => op.scopes.length === 0).map(label);
    expect(unscoped.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
    for (const op of operationsOf(doc)) for (const scope of op.scopes) expect(SCOPES).toContain(scope);
  });

  it.each(['api key', 'access token'])('refuses every scoped route to an %s lacking its scope: 403 naming it, nothing changed', async (kind) => {
    const wrong: string[] = [];
    for (const op of operationsOf(doc).filter((o) => o.scopes.length > 0)) {
      const [scope] = op.scopes;
      const holder = allBut.get(scope)!;
      const credential: [string, string] = kind === 'api key' ? ['X-API-Key', holder.key] : ['Authorization', `Bearer ${await tokenFor(t, holder)}`];
      const before = await tableFingerprint(t);
      const res = await call(op, credential);
      const changed = fingerprintChanges(before, await tableFingerprint(t));
      const missing = res.body?.missingScopes;
      if (res.status !== 403 || JSON.stringify(missing) !== JSON.stringify([scope]) || changed.length) {
        wrong.push(`${label(op)}: ${res.status} missingScopes=${JSON.stringify(missing)} changed=${JSON.stringify(changed)}`);
      }
      if (res.status === 403) expectProblemJson(res, 403);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses every mutating route to a credential holding every read scope and nothing else', async () => {
    const reader = await keyWithScopes(t, us, READ_SCOPES, 'reader');
    const token = await tokenFor(t, reader);
    const mutating = operationsOf(doc).filter((op) => op.method !== 'get' && op.scopes.length > 0);
    expect(mutating.length).toBeGreaterThanOrEqual(20);
    const before = await tableFingerprint(t);
    const wrong: string[] = [];
    for (const op of mutating) {
      for (const credential of [['X-API-Key', reader.key], ['Authorization', `Bearer ${token}`]] as Array<[string, string]>) {
        const res = await call(op, credential);
        if (res.status !== 403) wrong.push(`${label(op)} with ${credential[0]}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    // The same reader can read: the refusals above are about the function, not the credential.
    for (const path of ['/v1/releases', '/v1/uploads', '/v1/webhook-endpoints', '/v1/api-keys', '/v1/audit-events']) await t.http.get(path).set('X-API-Key', reader.key).expect(200);
  });

  it('lets a credential holding exactly the documented scope past authorization on every route', async () => {
    const wrong: string[] = [];
    for (const op of operationsOf(doc).filter((o) => o.scopes.length > 0 && !(o.method === 'delete' && !o.path.includes('audio')))) {
      const exact = await keyWithScopes(t, us, op.scopes as Scope[], `exactly ${op.scopes.join(' ')}`);
      const res = await call(op, ['X-API-Key', exact.key]);
      // A 403 about what the request asks for (a key granting scopes its creator lacks) is not about the route.
      const refusedRoute = res.status === 401 || (res.status === 403 && (res.body?.missingScopes ?? []).some((s: string) => op.scopes.includes(s)));
      if (refusedRoute) wrong.push(`${label(op)} with ${op.scopes.join(' ')}: ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });

  describe('the publish scope', () => {
    it('is needed for back-office transitions: releases:write alone gets 403, and the release stays', async () => {
      const writer = await keyWithScopes(t, us, ['releases:read', 'releases:write'], 'writer');
      for (const status of ['approved', 'rejected', 'live', 'taken_down', 'draft']) {
        const res = await t.http.post(`/v1/releases/${us.releaseId}/status`).set('X-API-Key', writer.key).send({ status });
        expect(expectProblemJson(res, 403).missingScopes).toEqual(['releases:publish']);
      }
      const token = await tokenFor(t, us, 'releases:read releases:write');
      const res = await t.http.post(`/v1/releases/${us.releaseId}/status`).set('Authorization', `Bearer ${token}`).send({ status: 'approved' });
      expect(expectProblemJson(res, 403).missingScopes).toEqual(['releases:publish']);
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: us.releaseId } })).status).toBe('draft');
    });
  });

  describe('keys:write cannot escalate', () => {
    let manager: { keyId: string; key: string };

    beforeAll(async () => {
      manager = await keyWithScopes(t, us, ['keys:read', 'keys:write', 'releases:read'], 'key manager');
    });

    it('cannot create a key with a scope it lacks', async () => {
      const before = await t.prisma.apiKey.count();
      for (const scopes of [['releases:write'], ['releases:read', 'releases:publish'], [...SCOPES]]) {
        const res = await t.http.post('/v1/api-keys').set('X-API-Key', manager.key).send({ name: 'escalated', scopes });
        expect(expectProblemJson(res, 403).missingScopes.length).toBeGreaterThan(0);
      }
      expect(await t.prisma.apiKey.count()).toBe(before);
    });

    it('cannot rotate or revoke a key broader than itself (rotation would hand it that key’s power)', async () => {
      const rotate = await t.http.post(`/v1/api-keys/${us.spareKeyId}/rotate`).set('X-API-Key', manager.key).send({ gracePeriodSeconds: 0 });
      expectProblemJson(rotate, 403);
      const revoke = await t.http.delete(`/v1/api-keys/${us.spareKeyId}`).set('X-API-Key', manager.key);
      expectProblemJson(revoke, 403);
      const spare = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: us.spareKeyId } });
      expect({ revokedAt: spare.revokedAt, expiresAt: spare.expiresAt }).toEqual({ revokedAt: null, expiresAt: null });
    });

    it('cannot use a token narrowed to keys:write to mint a key with the key’s other scopes', async () => {
      const token = await tokenFor(t, us, 'keys:write');
      const res = await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${token}`).send({ name: 'from a narrow token', scopes: ['releases:read'] });
      expect(expectProblemJson(res, 403).missingScopes).toEqual(['releases:read']);
    });

    it('cannot mint a key that escapes its own IP allowlist or outlives it', async () => {
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      const fenced = await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', us.key)
        .send({ name: 'fenced', scopes: ['keys:write', 'releases:read'], allowedIps: ['127.0.0.1/32', '::1/128', '::ffff:127.0.0.1/128'], expiresAt })
        .expect(201);
      const wider = await t.http.post('/v1/api-keys').set('X-API-Key', fenced.body.key).send({ name: 'wider', scopes: ['releases:read'], allowedIps: ['0.0.0.0/0'] });
      expectProblemJson(wider, 403);
      const longer = await t.http.post('/v1/api-keys').set('X-API-Key', fenced.body.key).send({ name: 'longer', scopes: ['releases:read'], expiresAt: new Date(Date.now() + 7200_000).toISOString() });
      expectProblemJson(longer, 403);
      const inherited = await t.http.post('/v1/api-keys').set('X-API-Key', fenced.body.key).send({ name: 'inherits', scopes: ['releases:read'] }).expect(201);
      expect(inherited.body.allowedIps.sort()).toEqual([...fenced.body.allowedIps].sort());
      expect(new Date(inherited.body.expiresAt).getTime()).toBeLessThanOrEqual(new Date(expiresAt).getTime());
    });
  });
});
