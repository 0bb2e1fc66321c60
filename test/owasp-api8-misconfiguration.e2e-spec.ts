// OWASP API8:2023 Security Misconfiguration. Security headers (helmet) on
// every kind of answer — success, each error, preflight, file download —
// and no X-Powered-By or Server banner; CORS closed by default and opened only
// to the listed origins; errors without stack traces, SQL, file paths or
// framework internals, even when the database itself fails, in production
// mode; Cache-Control: no-store on every answer carrying a secret (replays
// included, and their stored copy sealed); credentials redacted from logs;
// HTTPS only through TLS_CERT_FILE/TLS_KEY_FILE, TLS ≥ 1.2, with HSTS.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { startServer, type RunningServer } from '../src/server';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { expectProblemJson, leaksIn } from './helpers/problem-json';
import { PUBLIC_WEBHOOK_URL, startSecurityApp } from './helpers/security-tenant';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import type { TestApp } from './helpers/test-app';

/** helmet's defaults as configured in configure-http.ts (no HSTS without TLS). */
function expectSecurityHeaders(headers: Record<string, unknown>, where: string): void {
  const picked = {
    where,
    'x-content-type-options': headers['x-content-type-options'],
    'x-frame-options': headers['x-frame-options'],
    'referrer-policy': headers['referrer-policy'],
    'cross-origin-opener-policy': headers['cross-origin-opener-policy'],
    'cross-origin-resource-policy': headers['cross-origin-resource-policy'],
    'x-permitted-cross-domain-policies': headers['x-permitted-cross-domain-policies'],
    csp: /default-src 'self'/.test(String(headers['content-security-policy'])) && /frame-ancestors 'self'/.test(String(headers['content-security-policy'])),
    'x-powered-by': headers['x-powered-by'],
    server: headers.server,
    'strict-transport-security': headers['strict-transport-security'],
    'x-request-id': typeof headers['x-request-id'],
  };
  expect(picked).toEqual({
    where,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-permitted-cross-domain-policies': 'none',
    csp: true,
    'x-powered-by': undefined,
    server: undefined,
    'strict-transport-security': undefined,
    'x-request-id': 'string',
  });
}

describe('OWASP API8 — security misconfiguration', () => {
  let t: TestApp;
  let org: OrgWithKey;

  beforeAll(async () => {
    t = await startSecurityApp({ JSON_BODY_LIMIT_BYTES: '2048' });
    org = await createOrgWithKey(t);
  });
  afterAll(() => t.close());

  describe('headers', () => {
    it('sends the security headers on successes, every kind of error, preflights and downloads', async () => {
      const upload = await t.http.post('/v1/uploads').set('X-API-Key', org.key).attach('file', Buffer.from('RIFF'), 'x.wav');
      const answers: Array<[string, Awaited<ReturnType<TestApp['http']['get']>>]> = [
        ['health', await t.http.get('/health/live')],
        ['list', await t.http.get('/v1/releases').set('X-API-Key', org.key)],
        ['openapi', await t.http.get('/openapi.json')],
        ['401', await t.http.get('/v1/releases')],
        ['404 route', await t.http.get('/v1/nothing-here')],
        ['404 resource', await t.http.get('/v1/releases/rel_01JF3Z00000000000000000000').set('X-API-Key', org.key)],
        ['400 validation', await t.http.post('/v1/releases').set('X-API-Key', org.key).send({})],
        ['400 malformed URL', await t.http.get('/v1/releases/%E0%A4%A').set('X-API-Key', org.key)],
        ['413', await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'x'.repeat(4096) })],
        ['415', await t.http.post('/v1/releases').set('X-API-Key', org.key).set('Content-Type', 'text/plain').send('x')],
        ['upload refusal', upload],
        ['preflight', await t.http.options('/v1/releases').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST')],
      ];
      for (const [where, res] of answers) expectSecurityHeaders(res.headers, where);
      expect(upload.status).toBeGreaterThanOrEqual(400);
    });

    it('sends no ETag of its own making on answers that are not versioned resources', async () => {
      for (const res of [await t.http.get('/v1/releases').set('X-API-Key', org.key), await t.http.get('/v1/nothing-here')]) expect(res.headers.etag).toBeUndefined();
    });

    it('does not echo TRACE requests', async () => {
      const res = await t.http.trace('/v1/releases').set('X-API-Key', org.key).set('X-Secret-Header', 'echo-me');
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('echo-me');
    });
  });

  describe('CORS', () => {
    it('grants no origin anything when CORS_ORIGINS is unset', async () => {
      for (const origin of ['https://evil.example', 'null', 'http://localhost:3000']) {
        const preflight = await t.http.options('/v1/releases').set('Origin', origin).set('Access-Control-Request-Method', 'DELETE').set('Access-Control-Request-Headers', 'X-API-Key');
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
        const simple = await t.http.get('/v1/releases').set('Origin', origin).set('X-API-Key', org.key);
        expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('grants exactly the listed origins when CORS_ORIGINS is set, never a wildcard or a look-alike', async () => {
      const open = await startSecurityApp({ CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' });
      try {
        const preflight = (origin: string) => open.http.options('/v1/releases').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'X-API-Key, Content-Type');
        const allowed = await preflight('https://app.example.com');
        expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
        expect(allowed.headers.vary).toMatch(/Origin/);
        expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
        expect(allowed.headers['access-control-expose-headers'] ?? (await open.http.get('/health/live').set('Origin', 'https://app.example.com')).headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
        for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'https://evilapp.example.com', 'http://app.example.com', 'null', '*']) {
          expect({ origin, allow: (await preflight(origin)).headers['access-control-allow-origin'] }).toEqual({ origin, allow: undefined });
        }
      } finally {
        await open.close();
      }
    });
  });

  describe('errors', () => {
    it('never show a stack, a path, SQL or framework internals, whatever went wrong', async () => {
      const attempts = [
        t.http.post('/v1/releases').set('X-API-Key', org.key).set('Content-Type', 'application/json').send('{"title": tru'),
        t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 1, artists: 'x', nope: true }),
        t.http.get('/v1/releases?limit=abc').set('X-API-Key', org.key),
        t.http.get('/v1/releases/%E0%A4%A').set('X-API-Key', org.key),
        t.http.get('/v1/releases/rel_01JF3Z00000000000000000000').set('X-API-Key', org.key),
        t.http.patch('/v1/releases/rel_01JF3Z00000000000000000000').set('X-API-Key', org.key).set('If-Match', 'garbage').send({}),
        t.http.post('/v1/uploads').set('X-API-Key', org.key).set('Content-Type', 'multipart/form-data; boundary=x').send('--x\r\nbroken'),
        t.http.get('/v1/releases').set('Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x'),
        t.http.delete('/v1/api-keys/key_01JF3Z00000000000000000000').set('X-API-Key', org.key),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect({ status: res.status, leaks: leaksIn(res.text) }).toEqual({ status: res.status, leaks: [] });
        expectProblemJson(res);
      }
    });

    describe('in production mode, when the database fails under a request', () => {
      let prod: TestApp;

      beforeAll(async () => {
        const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
        prod = await startSecurityApp({ NODE_ENV: 'production', JWT_PRIVATE_KEY: jwtKey });
      });
      afterAll(() => prod.close());

      it('answers a generic 500 problem with the request id and nothing from the database or the code', async () => {
        const owner = await createOrgWithKey(prod);
        await prod.prisma.$executeRawUnsafe('ALTER TABLE releases RENAME COLUMN title TO title_gone');
        const res = await prod.http.get('/v1/releases').set('X-API-Key', owner.key);
        const body = expectProblemJson(res, 500);
        expect(body.detail).toBe('An unexpected error occurred. Quote the request id when reporting it.');
        expect(res.text).not.toMatch(/title_gone|column|relation|prisma|P20\d\d/i);
        expectSecurityHeaders(res.headers, 'production 500');
        expect(res.headers['cache-control']).toBe('no-store');
      });
    });
  });

  describe('secrets in answers and logs', () => {
    it('marks every answer that carries a secret no-store, including its idempotent replay, and seals the stored copy', async () => {
      const key = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).set('Idempotency-Key', 'create-secret-1').send({ name: 'cached?', scopes: ['releases:read'] }).expect(201);
      const replay = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).set('Idempotency-Key', 'create-secret-1').send({ name: 'cached?', scopes: ['releases:read'] }).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const rotated = await t.http.post(`/v1/api-keys/${key.body.id}/rotate`).set('X-API-Key', org.key).send({}).expect(201);
      const endpoint = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', org.key).send({ url: PUBLIC_WEBHOOK_URL, events: ['*'] }).expect(201);
      const resecret = await t.http.post(`/v1/webhook-endpoints/${endpoint.body.id}/rotate-secret`).set('X-API-Key', org.key).send({}).expect(201);
      const token = await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: org.key }).expect(200);
      for (const [where, res] of Object.entries({ key, replay, rotated, endpoint, resecret, token })) {
        expect({ where, cacheControl: res.headers['cache-control'] }).toEqual({ where, cacheControl: 'no-store' });
      }
      expect(token.headers.pragma).toBe('no-cache');
      const stored = await t.prisma.idempotencyRecord.findMany({ where: { orgId: org.orgId } });
      expect(stored.length).toBeGreaterThan(0);
      expect(JSON.stringify(stored)).not.toContain(key.body.key);
    });

    it('redacts keys, tokens and signatures from the logs', async () => {
      const token = await tokenFor(t, org);
      await t.http.get('/v1/releases').set('Authorization', `Bearer ${token}`).expect(200);
      await t.http.get('/v1/releases').set('X-API-Key', org.key).set('Cookie', 'session=cookie-secret').expect(200);
      await t.http.post('/v1/partners/ptn_01JF3Z00000000000000000000/callbacks').set('webhook-signature', 'v1,c2lnbmF0dXJlLXNlY3JldA==').send({});
      const logs = JSON.stringify(t.logs);
      for (const secret of [org.key, token, 'cookie-secret', 'c2lnbmF0dXJlLXNlY3JldA==']) expect(logs.includes(secret)).toBe(false);
    });
  });

  describe('TLS', () => {
    let dir: string;
    let database: TestDatabase;
    let server: RunningServer | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'musicpub-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      database = await createTestDatabase();
      server = await startServer({
        env: { NODE_ENV: 'test', PORT: '0', DATABASE_URL: database.url, WEBHOOK_WORKERS: '0', TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem'), UPLOAD_DIR: path.join(dir, 'uploads') },
        logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
        announce: () => undefined,
      });
    });
    afterAll(async () => {
      await server?.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const port = () => (server!.app.getHttpServer().address() as { port: number }).port;

    function handshake(options: tls.ConnectionOptions): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false, servername: 'localhost', ...options }, () => {
          resolve(socket.getProtocol() ?? '');
          socket.end();
        });
        socket.on('error', reject);
      });
    }

    it('serves HTTPS only when both TLS files are configured, and refuses one without the other', () => {
      expect(server!.url).toMatch(/^https:/);
      expect(() => loadConfig({ TLS_CERT_FILE: path.join(dir, 'cert.pem') })).toThrow(ConfigError);
      expect(() => loadConfig({ TLS_KEY_FILE: path.join(dir, 'key.pem') })).toThrow(ConfigError);
    });

    it('negotiates TLS 1.2 or 1.3 and refuses TLS 1.0 and 1.1', async () => {
      expect(['TLSv1.2', 'TLSv1.3']).toContain(await handshake({}));
      expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
      for (const version of ['TLSv1', 'TLSv1.1'] as const) {
        await expect(handshake({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' })).rejects.toThrow();
      }
    });

    it('sends Strict-Transport-Security over TLS', async () => {
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: port(), path: '/health/live', rejectUnauthorized: false, servername: 'localhost' }, (res) => {
          res.resume();
          resolve(res.headers);
        }).on('error', reject);
      });
      expect(headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
      expect(headers['x-content-type-options']).toBe('nosniff');
    });

    it('does not answer plain HTTP on the TLS port', async () => {
      const answer = await fetch(`http://127.0.0.1:${port()}/health/live`).then((r) => r.status, () => 'refused');
      expect(answer === 'refused' || answer === 400).toBe(true);
    });
  });
});
