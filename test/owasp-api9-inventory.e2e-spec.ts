// OWASP API9:2023 Improper Inventory Management. The OpenAPI document is the
// inventory (API guide: Operations): every route Express serves appears in
// /openapi.json with the same method, every documented operation is served,
// the document is well-formed where tools depend on it (unique parameters,
// declared security, problem+json errors), and nothing undocumented answers —
// other methods on documented paths, other API versions, admin/debug paths,
// source and configuration files, or files shipped next to the API docs.
import type { Router } from 'express';
import { expectProblemJson } from './helpers/problem-json';
import { expressPathOf, fetchOpenApi, fillPath, HTTP_METHODS, OpenApiDocument, operationsOf } from './helpers/openapi-operations';
import { SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import type { TestApp } from './helpers/test-app';

/** Routes that serve the documentation itself rather than the API. */
const DOCUMENTATION = /^\/(docs(\/.*)?|openapi\.json)$/;

interface ServedRoute {
  method: string;
  path: string;
}

/** The routes of the Express router, without middleware (layers with no route, and Nest's catch-all middleware routes). */
function servedRoutes(t: TestApp): ServedRoute[] {
  const express = t.app.getHttpAdapter().getInstance() as { router?: Router; _router?: Router };
  const stack = (express.router ?? express._router)!.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
  const out: ServedRoute[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
    // Nest registers middleware as a route on {/*splat} for every method; a probe below shows it answers nothing itself.
    if (layer.route.path === '{/*splat}' && methods.length > 20) continue;
    for (const method of methods) out.push({ method, path: layer.route.path });
  }
  return out;
}

describe('OWASP API9 — improper inventory management', () => {
  let t: TestApp;
  let us: SeededTenant;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    t = await startSecurityApp();
    us = await seedTenant(t, 'inventory');
    doc = await fetchOpenApi(t);
  });
  afterAll(() => t.close());

  const documented = () => operationsOf(doc).map((op) => `${op.method.toUpperCase()} ${expressPathOf(op.path)}`).sort();

  it('documents every route the server serves, and serves every route it documents', () => {
    const served = servedRoutes(t)
      .filter((r) => !DOCUMENTATION.test(r.path))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .sort();
    expect(served.length).toBeGreaterThanOrEqual(35);
    expect({ undocumented: served.filter((r) => !documented().includes(r)) }).toEqual({ undocumented: [] });
    expect({ unserved: documented().filter((r) => !served.includes(r)) }).toEqual({ unserved: [] });
  });

  it('answers nothing through Nest’s catch-all middleware routes: an unknown path is a problem+json 404', async () => {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const res = await t.http[method]('/v1/this/route/does/not/exist').set('X-API-Key', us.key);
      expectProblemJson(res, 404);
    }
  });

  describe('the document', () => {
    it('is OpenAPI 3 with unique operation ids and no repeated parameter within an operation', () => {
      expect(doc.openapi).toMatch(/^3\./);
      const ids = operationsOf(doc).map((op) => op.operation.operationId);
      expect(new Set(ids).size).toBe(ids.length);
      const repeated = operationsOf(doc).flatMap((op) => {
        const seen = op.parameters.map((p) => `${p.in}:${p.name.toLowerCase()}`);
        return seen.filter((p, i) => seen.indexOf(p) !== i).map((p) => `${op.method} ${op.path}: ${p}`);
      });
      expect(repeated).toEqual([]);
    });

    it('declares every path parameter as a required path parameter', () => {
      for (const op of operationsOf(doc)) {
        const inTemplate = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        const declared = op.parameters.filter((p) => p.in === 'path').map((p) => p.name).sort();
        expect({ op: `${op.method} ${op.path}`, declared }).toEqual({ op: `${op.method} ${op.path}`, declared: inTemplate });
        for (const p of op.parameters.filter((q) => q.in === 'path')) expect(p.required).toBe(true);
      }
    });

    it('declares API key, bearer and oauth2 security on every non-public operation, and documents 401 and 403 there', () => {
      for (const op of operationsOf(doc).filter((o) => o.scopes.length > 0)) {
        const schemes = (op.operation.security ?? []).flatMap((requirement) => Object.keys(requirement)).sort();
        expect({ op: `${op.method} ${op.path}`, schemes }).toEqual({ op: `${op.method} ${op.path}`, schemes: ['apiKey', 'bearer', 'oauth2'] });
        expect(Object.keys(op.operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    });
  });

  describe('nothing undocumented answers', () => {
    it('refuses every method a documented path does not document, with 404 and nothing done', async () => {
      const wrong: string[] = [];
      const ids = { id: us.releaseId, releaseId: us.releaseId, trackId: us.trackId, partnerId: us.partnerId };
      for (const [template, item] of Object.entries(doc.paths)) {
        const path = fillPath(template, ids);
        for (const method of HTTP_METHODS.filter((m) => !item[m])) {
          const res = await t.http[method](path).set('X-API-Key', us.key);
          if (res.status !== 404) wrong.push(`${method.toUpperCase()} ${template}: ${res.status}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(await t.prisma.release.count({ where: { id: us.releaseId } })).toBe(1);
    });

    it.each([
      '/v2/releases',
      '/v0/releases',
      '/releases',
      '/api/v1/releases',
      '/v1/admin',
      '/v1/admin/organizations',
      '/v1/organizations',
      '/v1/internal/config',
      '/v1/debug',
      '/v1/partners',
      '/v1/partners/ptn_01JF3Z00000000000000000000',
      '/v1/webhook-messages',
      '/v1/releases/{rel}/tracks',
      '/v1/audit-events/aud_01JF3Z00000000000000000000',
      '/metrics',
      '/health',
      '/status',
      '/graphql',
      '/.env',
      '/.git/config',
      '/package.json',
      '/prisma/schema.prisma',
      '/src/main.ts',
      '/dist/main.js',
      '/node_modules/.package-lock.json',
      '/docs/../package.json',
      '/docs/%2e%2e/package.json',
    ])('GET %s is a problem+json 404', async (raw) => {
      const path = raw.replace('{rel}', us.releaseId);
      const res = await t.http.get(path).set('X-API-Key', us.key);
      // The 404 names the path it did not find: the client's own text, not a leak.
      expectProblemJson(res, 404, new URL(path, 'http://x').pathname);
    });

    it('does not write audit events through the API: the trail is append-only from the inside', async () => {
      for (const method of ['post', 'put', 'patch', 'delete'] as const) {
        expectProblemJson(await t.http[method]('/v1/audit-events').set('X-API-Key', us.key).send({ action: 'release.create' }), 404);
        expectProblemJson(await t.http[method](`/v1/audit-events/${us.auditEventId}`).set('X-API-Key', us.key).send({}), 404);
      }
    });

    it('does not serve files of the docs package that the docs page does not need (package manifest, Node entry points, build logs, source maps)', async () => {
      const page = await t.http.get('/docs/').expect(200);
      expect(page.text).toMatch(/swagger-ui/);
      const extras = ['/docs/package.json', '/docs/README.md', '/docs/absolute-path.js', '/docs/index.js', '/docs/log.bundle-sizes.swagger-ui.txt', '/docs/swagger-ui.js.map'];
      const served: string[] = [];
      for (const path of extras) if ((await t.http.get(path)).status === 200) served.push(path);
      expect(served).toEqual([]);
    });

    it('gives alternate spellings of a documented path (case, trailing slash) the same security as the path', async () => {
      for (const op of operationsOf(doc).filter((o) => o.scopes.length > 0)) {
        const path = fillPath(op.path, { id: us.releaseId, releaseId: us.releaseId, trackId: us.trackId, partnerId: us.partnerId });
        for (const variant of [path.toUpperCase(), `${path}/`, path.replace('/v1/', '/V1/')]) {
          const res = await t.http[op.method](variant);
          expect({ variant: `${op.method} ${variant}`, status: [401, 404].includes(res.status) }).toEqual({ variant: `${op.method} ${variant}`, status: true });
        }
      }
    });
  });
});
