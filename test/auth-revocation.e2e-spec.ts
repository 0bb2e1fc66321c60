// Revocation and expiry reach every instance within one second (API guide: Authentication):
// instance A runs in this process, instance B in a child process of its own,
// both on one database, as two replicas behind a load balancer would.
//
// B is a real second process on purpose. Two Nest apps in one process share
// @nestjs/passport's process-wide strategy registry, so the app started last
// would authenticate the requests of both (its key-state cache, its token
// signer), and a "cross-instance" test would not cross anything.
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import supertest from 'supertest';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;
type Http = ReturnType<typeof supertest>;

/** API guide: Authentication: a revoked or expired key stops working within 1 s on every instance. */
const BUDGET_MS = 1000;
const ROOT = path.resolve(__dirname, '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs the production entry point (src/main.ts) in a child Node process, SWC
// stripping the types as under Jest. It listens on an ephemeral port (PORT=0),
// announced on stdout, and shuts down gracefully on SIGTERM as in production.
const CHILD_APP = `
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const options = { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2023' }, module: { type: 'commonjs' } };
require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
require('./src/main.ts');
`;

interface ChildInstance {
  http: Http;
  /** SIGTERM, then wait for the process to exit (graceful shutdown). */
  close(): Promise<void>;
}

async function startChildInstance(env: Record<string, string>): Promise<ChildInstance> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD_APP], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const announced = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (announced) resolve(Number(announced[1]));
    });
    void exited.then(() => reject(new Error(`child instance exited before listening:\n${output}`)));
  });
  return {
    http: supertest(`http://127.0.0.1:${port}`),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      expect(child.exitCode).toBe(0); // a clean, graceful exit
    },
  };
}

/**
 * Sends `request` until it is refused. Reports the refusal and when the last
 * request that was still accepted had been sent (ms after `since`, −1 if
 * none): a request sent after `since` + 1 s that is accepted breaks the
 * contract, whatever the round trip, so that is what is measured.
 */
async function pollUntilRefused(request: () => PromiseLike<Res>, since: number, limitMs = 3000): Promise<{ refused: Res; lastAcceptedSentAt: number }> {
  let lastAcceptedSentAt = -1;
  for (;;) {
    const sentAt = Date.now() - since;
    const res = await request();
    if (res.status !== 200) return { refused: res, lastAcceptedSentAt };
    lastAcceptedSentAt = sentAt;
    if (sentAt > limitMs) return { refused: res, lastAcceptedSentAt };
    await sleep(20);
  }
}

describe('revocation and expiry across instances', () => {
  let a: TestApp;
  let b: ChildInstance;

  beforeAll(async () => {
    // Replicas of one deployment share the token-signing key (and the pepper, set per file by startTestApp).
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    a = await startTestApp({ env: { JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() } });
    b = await startChildInstance(a.env);
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function keyOn(http: Http, admin: OrgWithKey, body: Record<string, unknown>): Promise<OrgWithKey> {
    const res = await http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'replica test', ...body });
    expect(res.status).toBe(201);
    return { orgId: admin.orgId, keyId: res.body.id as string, key: res.body.key as string };
  }

  async function tokenOn(http: Http, who: OrgWithKey): Promise<string> {
    const res = await http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: who.keyId, client_secret: who.key });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  function expectRefusedInTime(poll: { refused: Res; lastAcceptedSentAt: number }, reason: string): void {
    expect(poll.refused.status).toBe(401);
    expect(poll.refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(poll.refused.headers['www-authenticate']).toBeDefined();
    expect(poll.refused.body.reason).toBe(reason);
    expect(poll.lastAcceptedSentAt).toBeLessThan(BUDGET_MS);
  }

  it('a key revoked on A, and the tokens issued from it, are refused by B within 1 s', async () => {
    const admin = await createOrgWithKey(a);
    const victim = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    const tokenFromA = await tokenFor(a, victim);
    const tokenFromB = await tokenOn(b.http, victim);

    // B serves all three right before the revocation (and so holds the key's state).
    await b.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
    await b.http.get('/v1/api-keys').set('Authorization', `Bearer ${tokenFromA}`).expect(200);
    await b.http.get('/v1/api-keys').set('Authorization', `Bearer ${tokenFromB}`).expect(200);

    await a.http.delete(`/v1/api-keys/${victim.keyId}`).set('X-API-Key', admin.key).expect(204);
    const revokedAt = Date.now();

    const [byKey, byTokenA, byTokenB] = await Promise.all([
      pollUntilRefused(() => b.http.get('/v1/api-keys').set('X-API-Key', victim.key), revokedAt),
      pollUntilRefused(() => b.http.get('/v1/api-keys').set('Authorization', `Bearer ${tokenFromA}`), revokedAt),
      pollUntilRefused(() => b.http.get('/v1/api-keys').set('Authorization', `Bearer ${tokenFromB}`), revokedAt),
    ]);
    expectRefusedInTime(byKey, 'key_revoked');
    expectRefusedInTime(byTokenA, 'key_revoked');
    expectRefusedInTime(byTokenB, 'key_revoked');
    // And B's token endpoint no longer exchanges it.
    const exchange = await b.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: victim.keyId, client_secret: victim.key });
    expect(exchange.status).toBe(401);
    expect(exchange.body.error).toBe('invalid_client');
  });

  it('a key revoked on B is refused by A within 1 s', async () => {
    const admin = await createOrgWithKey(a);
    const victim = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    const token = await tokenFor(a, victim);
    await a.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
    await a.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).expect(200);

    await b.http.delete(`/v1/api-keys/${victim.keyId}`).set('X-API-Key', admin.key).expect(204);
    const revokedAt = Date.now();

    const [byKey, byToken] = await Promise.all([
      pollUntilRefused(() => a.http.get('/v1/api-keys').set('X-API-Key', victim.key), revokedAt),
      pollUntilRefused(() => a.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`), revokedAt),
    ]);
    expectRefusedInTime(byKey, 'key_revoked');
    expectRefusedInTime(byToken, 'key_revoked');
  });

  it('on the instance that revoked it, the key and its tokens are refused on the very next request', async () => {
    const admin = await createOrgWithKey(a);
    const victim = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    const token = await tokenFor(a, victim);
    await a.http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
    await a.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).expect(200);
    await a.http.delete(`/v1/api-keys/${victim.keyId}`).set('X-API-Key', admin.key).expect(204);
    expect((await a.http.get('/v1/api-keys').set('X-API-Key', victim.key)).status).toBe(401);
    expect((await a.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('a key that reaches its expiresAt, and its tokens, are refused by both instances within 1 s', async () => {
    const admin = await createOrgWithKey(a);
    const expiresAt = Date.now() + 1500;
    const victim = await keyOn(a.http, admin, { scopes: ['keys:read'], expiresAt: new Date(expiresAt).toISOString() });
    const token = await tokenFor(a, victim);
    for (const http of [a.http, b.http]) {
      await http.get('/v1/api-keys').set('X-API-Key', victim.key).expect(200);
      await http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).expect(200);
    }
    await sleep(Math.max(0, expiresAt - Date.now()));
    const refusals = await Promise.all(
      [a.http, b.http].flatMap((http) => [
        pollUntilRefused(() => http.get('/v1/api-keys').set('X-API-Key', victim.key), expiresAt),
        pollUntilRefused(() => http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`), expiresAt),
      ]),
    );
    for (const refusal of refusals) expectRefusedInTime(refusal, 'key_expired');
  });

  it('a key rotated on A with no grace period is refused by B within 1 s; its successor works on B', async () => {
    const admin = await createOrgWithKey(a);
    const old = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    await b.http.get('/v1/api-keys').set('X-API-Key', old.key).expect(200);
    const rotated = await a.http.post(`/v1/api-keys/${old.keyId}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: 0 }).expect(201);
    const rotatedAt = Date.now();
    expectRefusedInTime(await pollUntilRefused(() => b.http.get('/v1/api-keys').set('X-API-Key', old.key), rotatedAt), 'key_expired');
    await b.http.get('/v1/api-keys').set('X-API-Key', rotated.body.key as string).expect(200);
  });

  it('records lastUsedAt when an instance shuts down gracefully, and not for refused uses', async () => {
    const admin = await createOrgWithKey(a);
    const used = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    const revoked = await keyOn(a.http, admin, { scopes: ['keys:read'] });
    const elsewhere = await keyOn(a.http, admin, { scopes: ['keys:read'], allowedIps: ['198.51.100.0/24'] });
    await a.http.delete(`/v1/api-keys/${revoked.keyId}`).set('X-API-Key', admin.key).expect(204);

    const c = await startChildInstance(a.env);
    const start = Date.now();
    try {
      await c.http.get('/v1/api-keys').set('X-API-Key', used.key).expect(200);
      await c.http.get('/v1/api-keys').set('X-API-Key', revoked.key).expect(401);
      await c.http.get('/v1/api-keys').set('X-API-Key', elsewhere.key).expect(403);
    } finally {
      await c.close();
    }
    const end = Date.now();
    const rows = await a.prisma.apiKey.findMany({ where: { id: { in: [used.keyId, revoked.keyId, elsewhere.keyId] } } });
    const lastUsed = Object.fromEntries(rows.map((r) => [r.id, r.lastUsedAt]));
    expect(lastUsed[used.keyId]).not.toBeNull();
    expect(lastUsed[used.keyId]!.getTime()).toBeGreaterThanOrEqual(start - 5);
    expect(lastUsed[used.keyId]!.getTime()).toBeLessThanOrEqual(end);
    expect(lastUsed[revoked.keyId]).toBeNull();
    expect(lastUsed[elsewhere.keyId]).toBeNull();
    const shown = await a.http.get(`/v1/api-keys/${used.keyId}`).set('X-API-Key', admin.key).expect(200);
    expect(shown.body.lastUsedAt).toBe(lastUsed[used.keyId]!.toISOString());
  }, 30_000);
});
