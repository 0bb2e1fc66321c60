// OWASP API4:2023 Unrestricted Resource Consumption. Every way a client can
// make the server hold, parse, store or return more than it should is
// bounded: JSON bodies (413, with or without Content-Length), uploads (413,
// nothing left on disk), forms, headers, JSON nesting, page sizes (1–100 on
// every list the document describes), array and string lengths, filters and
// cursors, Range requests, and request rates (429 with Retry-After).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import http from 'node:http';
import { wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { fetchOpenApi, fillPath, operationsOf } from './helpers/openapi-operations';
import { expectProblemJson } from './helpers/problem-json';
import { sendRaw } from './helpers/raw-http';
import { SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import { startTestApp, type TestApp } from './helpers/test-app';
import { filesUnder, listen, multipartFrame, rawPost } from './helpers/upload-requests';

const UPLOAD_MAX_BYTES = 256 * 1024;

describe('OWASP API4 — unrestricted resource consumption', () => {
  let t: TestApp;
  let us: SeededTenant;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startSecurityApp({ UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) });
    us = await seedTenant(t, 'consumer');
    baseUrl = await listen(t);
  });
  afterAll(() => t.close());

  const post = (path: string, body: object) => t.http.post(path).set('X-API-Key', us.key).send(body);

  describe('request bodies', () => {
    it('refuses a JSON body over the limit with 413, before anything is written', async () => {
      const before = await tableFingerprint(t);
      const res = await post('/v1/releases', { title: 'x', artists: ['y'], label: 'z'.repeat(200 * 1024) });
      expectProblemJson(res, 413);
      expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    });

    it('refuses an oversized chunked body (no Content-Length) with 413 too', async () => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(baseUrl);
        const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/releases', headers: { 'X-API-Key': us.key, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        Readable.from((function* () {
          yield '{"title":"x","artists":["y"],"label":"';
          for (let i = 0; i < 64; i++) yield 'z'.repeat(4096);
          yield '"}';
        })()).pipe(req);
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    });

    it('bounds the OAuth form: size and number of parameters', async () => {
      const tooMany = await t.http.post('/v1/oauth/token').type('form').send(Array.from({ length: 40 }, (_, i) => `p${i}=1`).join('&'));
      expect(tooMany.status).toBe(413);
      const tooBig = await t.http.post('/v1/oauth/token').type('form').send(`grant_type=client_credentials&scope=${'a'.repeat(16 * 1024)}`);
      expect(tooBig.status).toBe(413);
    });

    it('refuses deeply nested JSON as a client error, not by running out of stack', async () => {
      const before = await tableFingerprint(t);
      for (const body of [`{"title":"x","artists":["y"],"label":${'['.repeat(5000)}${']'.repeat(5000)}}`, `{"title":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`]) {
        const res = await sendRaw(baseUrl, { method: 'POST', path: '/v1/releases', headers: { 'X-API-Key': us.key, 'Content-Type': 'application/json' }, body });
        expect({ status: res.status }).toEqual({ status: 400 });
      }
      expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    });

    it('refuses request headers beyond the server’s limit', async () => {
      const res = await sendRaw(baseUrl, { method: 'GET', path: '/v1/releases', headers: { 'X-API-Key': us.key, 'X-Padding': 'p'.repeat(64 * 1024) } }).catch((error: Error) => ({ status: 0, error }));
      expect([431, 0]).toContain(res.status);
    });
  });

  describe('text scanned for credentials', () => {
    // Query parameter names, paths and User-Agents are searched for anything
    // shaped like a credential before the caller is authenticated (refused,
    // logged, audited). With 12,000 letters in each, the quadratic patterns
    // spent about 0.2 s of CPU per scan: these 30 requests took several
    // seconds of the event loop; now they take tens of milliseconds.
    it('costs time linear in what the client sent: long runs in a query name, a path and a User-Agent', async () => {
      const run = (i: number) => `${'a'.repeat(12_000)}${i}`;
      const started = process.cpuUsage();
      for (let i = 0; i < 10; i++) {
        const statuses = [
          (await t.http.get(`/v1/releases?${run(i)}=1`)).status,
          (await t.http.get(`/v1/releases/${run(i)}`).set('X-API-Key', us.key)).status,
          (await t.http.get('/v1/releases').set('User-Agent', run(i))).status,
        ];
        expect(statuses).toEqual([401, 404, 401]);
      }
      const used = process.cpuUsage(started);
      expect((used.user + used.system) / 1000).toBeLessThan(2000);
    });
  });

  describe('uploads', () => {
    it('refuses a file over UPLOAD_MAX_BYTES with 413 and leaves no row and no file behind', async () => {
      const before = await tableFingerprint(t);
      const frame = multipartFrame({ filename: 'big.wav', contentType: 'audio/wav' });
      const file = Buffer.concat([wav({ durationMs: 1000 }), Buffer.alloc(UPLOAD_MAX_BYTES)]);
      const res = await rawPost(`${baseUrl}/v1/uploads`, { 'X-API-Key': us.key, 'Content-Type': frame.contentType }, Buffer.concat([frame.head, file, frame.tail]));
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ status: 413, title: 'Content Too Large' });
      expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
      const left = filesUnder(t.env.UPLOAD_DIR).filter((name) => !name.includes(us.uploadId));
      expect(await t.prisma.upload.count({ where: { orgId: us.orgId } })).toBe(1);
      expect(left.filter((name) => !name.startsWith('upl_'))).toEqual([]);
    });

    it('refuses extra parts, extra files and oversized form fields', async () => {
      const audio = wav({ durationMs: 1000 });
      const cases = [
        t.http.post('/v1/uploads').set('X-API-Key', us.key).attach('file', audio, 'a.wav').attach('file', audio, 'b.wav'),
        t.http.post('/v1/uploads').set('X-API-Key', us.key).field('trackId', 'x'.repeat(10_000)).attach('file', audio, 'a.wav'),
        t.http.post('/v1/uploads').set('X-API-Key', us.key).field('a', '1').field('b', '2').field('c', '3').attach('file', audio, 'a.wav'),
      ];
      for (const res of await Promise.all(cases)) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectProblemJson(res);
      }
      expect(await t.prisma.upload.count({ where: { orgId: us.orgId } })).toBe(1);
    });
  });

  describe('pagination', () => {
    it('caps every documented list at 100 and refuses anything outside 1–100', async () => {
      const doc = await fetchOpenApi(t);
      const lists = operationsOf(doc).filter((op) => op.method === 'get' && op.parameters.some((p) => p.in === 'query' && p.name === 'limit'));
      expect(lists.length).toBeGreaterThanOrEqual(6);
      for (const op of lists) {
        const path = fillPath(op.path, { id: op.path.startsWith('/v1/api-keys/') ? us.keyId : us.endpointId });
        for (const limit of ['0', '101', '-1', '1000000', 'abc', '1.5', '1e3', '']) {
          const res = await t.http.get(`${path}?limit=${limit}`).set('X-API-Key', us.key);
          expect({ path, limit, status: res.status }).toEqual({ path, limit, status: 400 });
        }
        const max = await t.http.get(`${path}?limit=100`).set('X-API-Key', us.key).expect(200);
        expect(max.body.data.length).toBeLessThanOrEqual(100);
      }
    });

    it('returns 20 by default and at most 100 however many rows there are', async () => {
      const many = await createOrgWithKey(t);
      await t.prisma.release.createMany({
        data: Array.from({ length: 130 }, (_, i) => ({ id: `rel_01M${String(i).padStart(23, '0')}`, orgId: many.orgId, title: `R${i}`, artists: ['A'], territories: ['WW'] })),
      });
      const first = await t.http.get('/v1/releases').set('X-API-Key', many.key).expect(200);
      expect(first.body.data).toHaveLength(20);
      const max = await t.http.get('/v1/releases?limit=100').set('X-API-Key', many.key).expect(200);
      expect(max.body.data).toHaveLength(100);
      expect(max.body.nextCursor).toEqual(expect.any(String));
    });

    it('bounds cursors and audit filters', async () => {
      for (const query of [`cursor=${'A'.repeat(201)}`, `action=${'a'.repeat(30)}.${'b'.repeat(40)}`, `actorId=${'k'.repeat(65)}`, `resourceId=${'r'.repeat(65)}`, 'from=yesterday']) {
        const res = await t.http.get(`/v1/audit-events?${query}`).set('X-API-Key', us.key);
        expect({ query, status: res.status }).toEqual({ query, status: 400 });
      }
      const wide = await t.http.get('/v1/audit-events?from=1970-01-01T00:00:00Z&to=9999-12-31T00:00:00Z&limit=100').set('X-API-Key', us.key).expect(200);
      expect(wide.body.data.length).toBeLessThanOrEqual(100);
    });
  });

  describe('array and string bounds', () => {
    const cases: Array<[string, string, object, string]> = [
      ['51 artists', '/v1/releases', { title: 'x', artists: Array.from({ length: 51 }, (_, i) => `A${i}`) }, 'artists'],
      ['a 501-character title', '/v1/releases', { title: 't'.repeat(501), artists: ['a'] }, 'title'],
      ['a 201-character artist name', '/v1/releases', { title: 'x', artists: ['a'.repeat(201)] }, 'artists'],
      ['251 territories', '/v1/releases', { title: 'x', artists: ['a'], territories: Array.from({ length: 251 }, () => 'WW') }, 'territories'],
      ['a 301-character © line', '/v1/releases', { title: 'x', artists: ['a'], copyrightLine: 'c'.repeat(301) }, 'copyrightLine'],
      ['51 allowed IP ranges', '/v1/api-keys', { name: 'k', scopes: ['releases:read'], allowedIps: Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`) }, 'allowedIps'],
      ['11 scopes', '/v1/api-keys', { name: 'k', scopes: [...Array.from({ length: 10 }, () => 'releases:read'), 'audit:read'] }, 'scopes'],
      ['a 101-character key name', '/v1/api-keys', { name: 'n'.repeat(101), scopes: ['releases:read'] }, 'name'],
      ['a 2049-character webhook URL', '/v1/webhook-endpoints', { url: `https://93.184.215.14/${'u'.repeat(2030)}`, events: ['*'] }, 'url'],
      ['a repeated event list', '/v1/webhook-endpoints', { url: 'https://93.184.215.14/h', events: Array.from({ length: 500 }, () => '*') }, 'events'],
      ['a 501-character endpoint description', '/v1/webhook-endpoints', { url: 'https://93.184.215.14/h', events: ['*'], description: 'd'.repeat(501) }, 'description'],
    ];

    it.each(cases)('refuses %s with 400 naming the field', async (_name, path, body, field) => {
      const res = await post(path, body);
      expect(expectProblemJson(res, 400).errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses 51 contributors and a 1001-character status reason', async () => {
      const contributors = Array.from({ length: 51 }, (_, i) => ({ name: `C${i}`, role: 'artist' }));
      const track = await post(`/v1/releases/${us.emptyReleaseId}/tracks`, { title: 't', contributors });
      expect(expectProblemJson(track, 400).errors[0].field).toBe('contributors');
      const status = await post(`/v1/releases/${us.releaseId}/status`, { status: 'approved', reason: 'r'.repeat(1001) });
      expect(expectProblemJson(status, 400).errors[0].field).toBe('reason');
    });
  });

  describe('downloads', () => {
    it('answers a request for many overlapping ranges with the file once, not a multipart body of copies', async () => {
      const ranges = `bytes=${Array.from({ length: 500 }, () => '0-').join(',')}`;
      const res = await t.http.get(`/v1/uploads/${us.uploadId}/content`).set('X-API-Key', us.key).set('Range', ranges).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect([200, 206]).toContain(res.status);
      expect(res.headers['content-type']).toBe('audio/wav');
      expect((res.body as Buffer).length).toBe(us.uploadSize);
      const disjoint = await t.http.get(`/v1/uploads/${us.uploadId}/content`).set('X-API-Key', us.key).set('Range', `bytes=${Array.from({ length: 200 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`);
      expect(disjoint.status).toBe(200);
      expect(Number(disjoint.headers['content-length'])).toBe(us.uploadSize);
    });

    it('bounds If-Match and If-Range headers', async () => {
      const res = await t.http.patch(`/v1/releases/${us.releaseId}`).set('X-API-Key', us.key).set('If-Match', '"v1", '.repeat(600)).send({ title: 'x' });
      expectProblemJson(res, 400);
    });
  });

  describe('request rates', () => {
    let limited: TestApp;
    let uploadDir: string;
    let org: OrgWithKey;

    beforeAll(async () => {
      uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-rate-'));
      limited = await startTestApp({ env: { WEBHOOK_WORKERS: '0', UPLOAD_DIR: uploadDir, THROTTLE_DEFAULT: '5/60', THROTTLE_UPLOADS: '2/60' } });
      org = await createOrgWithKey(limited);
    });
    afterAll(async () => {
      await limited.close();
      rmSync(uploadDir, { recursive: true, force: true });
    });

    it('answers 429 with Retry-After and RateLimit fields once a key’s default budget is spent', async () => {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<TestApp['http']['get']>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await limited.http.get('/v1/releases').set('X-API-Key', org.key);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(expectProblemJson(last!, 429).type).toMatch(/#quota-exceeded$/);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      expect(last!.headers['ratelimit-policy']).toMatch(/"default";q=5;w=60/);
    });

    it('limits uploads on their own budget and keeps nothing of a throttled upload', async () => {
      const other = await createOrgWithKey(limited);
      const upload = () => limited.http.post('/v1/uploads').set('X-API-Key', other.key).attach('file', wav({ durationMs: 1000 }), { filename: 'a.wav', contentType: 'audio/wav' });
      const statuses = [(await upload()).status, (await upload()).status, (await upload()).status];
      expect(statuses).toEqual([201, 201, 429]);
      expect(await limited.prisma.upload.count({ where: { orgId: other.orgId } })).toBe(2);
      expect(filesUnder(uploadDir).filter((name) => !name.startsWith('upl_') && !name.includes('/upl_'))).toEqual([]);
    });
  });
});
