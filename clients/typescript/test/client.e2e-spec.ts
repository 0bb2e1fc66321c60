// @musicpub/client against the real server, booted in-process and listening
// on a port, spoken to over real HTTP with fetch. Nothing is mocked: the
// custom fetches below only watch, delay or drop what the server answered.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { inspect } from 'node:util';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { createOrgWithKey, type OrgWithKey } from '../../../test/helpers/factories';
import { startTestApp, type TestApp } from '../../../test/helpers/test-app';
import { WebhookReceiver } from '../../../test/helpers/webhook-receiver';
import { generateApiTypes } from '../scripts/api-types';
import { createMusicpubClient, type FetchLike, MusicpubClient, type MusicpubClientOptions, ProblemError, type RetryEvent, verifyWebhook, WebhookVerificationError } from '../src';

// A small default budget (5 requests a second per key) so a 429 is easy to
// provoke; the client's own retries absorb it everywhere else.
const ENV = {
  THROTTLE_DEFAULT: '5/1',
  TOKEN_TTL_SECONDS: '60',
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms',
};

interface Sent {
  method: string;
  path: string;
  headers: Headers;
  status?: number;
  retryAfter?: string | null;
  replayed?: string | null;
  at: number;
}

/** The global fetch, recording each request and its answer. */
function watchingFetch(log: Sent[], intercept?: (sent: Sent, response: Response) => Promise<Response>): FetchLike {
  return async (input, init) => {
    const url = new URL(String(input));
    const sent: Sent = { method: init?.method ?? 'GET', path: url.pathname, headers: new Headers(init?.headers), at: Date.now() };
    log.push(sent);
    const response = await fetch(input, init);
    Object.assign(sent, { status: response.status, retryAfter: response.headers.get('retry-after'), replayed: response.headers.get('idempotent-replayed') });
    return intercept ? intercept(sent, response) : response;
  };
}

const RELEASE = { title: 'Client Side', artists: ['The Generated Types'] };

describe('@musicpub/client against the real server', () => {
  let t: TestApp;
  let baseUrl: string;
  let org: OrgWithKey;
  let receiver: WebhookReceiver;
  const client = (options: MusicpubClientOptions = {}, owner: OrgWithKey = org) =>
    createMusicpubClient({ baseUrl, env: { MUSICPUB_API_KEY: owner.key, MUSICPUB_KEY_ID: owner.keyId }, ...options });

  beforeAll(async () => {
    t = await startTestApp({ env: ENV });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    receiver = await WebhookReceiver.start();
  });
  // A fresh organization, and so a fresh rate-limit budget, for every test.
  beforeEach(async () => {
    org = await createOrgWithKey(t);
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('ships types generated from the server’s current OpenAPI document (run `npm run client:types` when this fails)', async () => {
    const served = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as object;
    const committed = readFileSync(path.join(__dirname, '..', 'src', 'api-types.ts'), 'utf8');
    expect((await generateApiTypes(served)) === committed).toBe(true);
  });

  it('reads the key from MUSICPUB_API_KEY, returns typed bodies, and never shows the key', async () => {
    const api = client();
    const release = await api.post('/v1/releases', { body: RELEASE });
    expect(release).toMatchObject({ title: RELEASE.title, status: 'draft' });
    const fetched = await api.get('/v1/releases/{id}', { params: { path: { id: release.id } } });
    expect(fetched.id).toBe(release.id);
    for (const shown of [inspect(api, { showHidden: true, depth: 10 }), JSON.stringify(api), String(api), JSON.stringify({ api })]) {
      expect(shown).not.toContain(org.key);
    }
    expect(JSON.stringify(api)).toContain(baseUrl);
  });

  it('surfaces an error as a typed ProblemError, without retrying it and without the key in it', async () => {
    const log: Sent[] = [];
    const error = await client({ fetch: watchingFetch(log) })
      .post('/v1/releases', { body: { title: '', artists: [] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem.status).toBe(400);
    expect(problem.slug).toBe('validation-error');
    expect(problem.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['title', 'artists']));
    expect(problem.requestId).toEqual(expect.any(String));
    expect(log).toHaveLength(1);
    expect(`${inspect(problem)} ${problem.message} ${JSON.stringify(problem.problem)}`).not.toContain(org.key);
  });

  it('replays a POST whose response was lost, with the same Idempotency-Key: one release, the first response', async () => {
    const own = await createOrgWithKey(t);
    const log: Sent[] = [];
    let dropped = false;
    const retries: RetryEvent[] = [];
    const api = client(
      {
        retry: { baseDelayMs: 10 },
        onRetry: (event) => retries.push(event),
        // The server processes the first request; its answer never reaches the client.
        fetch: watchingFetch(log, async (sent, response) => {
          if (sent.method === 'POST' && !dropped) {
            dropped = true;
            await response.arrayBuffer();
            throw new TypeError('fetch failed: connection reset');
          }
          return response;
        }),
      },
      own,
    );
    const release = await api.post('/v1/releases', { body: RELEASE });
    expect(log.map((s) => [s.method, s.status, s.replayed])).toEqual([
      ['POST', 201, null],
      ['POST', 201, 'true'],
    ]);
    const [first, second] = log.map((s) => s.headers.get('idempotency-key'));
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toBe(first);
    expect(retries).toEqual([expect.objectContaining({ reason: 'network', attempt: 1, idempotencyKey: first })]);
    expect(await t.prisma.release.count({ where: { orgId: own.orgId } })).toBe(1);
    expect(await t.prisma.release.findUnique({ where: { id: release.id } })).not.toBeNull();
  });

  it('retries a 409 idempotency-key-in-use while the first attempt still runs, then gets its stored response', async () => {
    const api0 = client();
    const release = await api0.post('/v1/releases', { body: RELEASE });
    // Hold the release's row so the first PATCH stops inside its transaction, with the key claimed.
    const blocker = new Client({ connectionString: t.database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [release.id]);
    let firstAttempt: Promise<Response> | undefined;
    let firstKey: string | null = null;
    const log: Sent[] = [];
    const retries: RetryEvent[] = [];
    const watch = watchingFetch(log, async (sent, response) => {
      // The first 409 came while the first attempt was held: let it finish now.
      if (response.status === 409) await blocker.query('COMMIT');
      return response;
    });
    const api = client({
      retry: { baseDelayMs: 10 },
      onRetry: (event) => retries.push(event),
      fetch: async (input, init) => {
        if (init?.method === 'PATCH' && !firstAttempt) {
          // Sent and being processed, but the client gives up waiting for the answer.
          firstAttempt = fetch(input, init);
          firstKey = new Headers(init.headers).get('idempotency-key');
          await new Promise((resolve) => setTimeout(resolve, 200));
          throw new TypeError('fetch failed: timed out');
        }
        return watch(input, init);
      },
    });
    try {
      const updated = await api.patch('/v1/releases/{id}', { params: { path: { id: release.id } }, body: { genre: 'Hard bop' } });
      expect(updated).toMatchObject({ id: release.id, genre: 'Hard bop', version: release.version + 1 });
    } finally {
      await blocker.end();
    }
    expect(retries.map((r) => r.reason)).toEqual(['network', 409]);
    expect(log.map((s) => [s.status, s.replayed])).toEqual([
      [409, null],
      [200, 'true'],
    ]);
    const first = await firstAttempt!;
    expect(first.status).toBe(200);
    expect(firstKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.map((s) => s.headers.get('idempotency-key'))).toEqual([firstKey, firstKey]);
  });

  it('retries a 503 (the database connection was cut mid-request) after Retry-After, with the same key', async () => {
    const release = await client().post('/v1/releases', { body: RELEASE });
    const admin = new Client({ connectionString: t.database.url });
    await admin.connect();
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [release.id]);
    const log: Sent[] = [];
    const retries: RetryEvent[] = [];
    let cut = false;
    const watch = watchingFetch(log);
    const api = client({
      onRetry: (event) => retries.push(event),
      fetch: async (input, init) => {
        const answer = watch(input, init);
        if (init?.method === 'PATCH' && !cut) {
          cut = true;
          // The request waits on the held row: end the server's session under it, as a database restart would.
          const waiting = async (): Promise<number[]> => {
            const { rows } = await admin.query<{ pid: number }>(
              "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            );
            return rows.length > 0 ? rows.map((r) => r.pid) : (await new Promise((resolve) => setTimeout(resolve, 20)), waiting());
          };
          for (const pid of await waiting()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          await admin.query('COMMIT');
        }
        return answer;
      },
    });
    try {
      const updated = await api.patch('/v1/releases/{id}', { params: { path: { id: release.id } }, body: { genre: 'Post-bop' } });
      expect(updated).toMatchObject({ genre: 'Post-bop', version: release.version + 1 });
    } finally {
      await admin.end();
    }
    expect(log.map((s) => [s.status, s.retryAfter])).toEqual([
      [503, '1'],
      [200, null],
    ]);
    expect(retries).toEqual([expect.objectContaining({ reason: 503, delayMs: 1000 })]);
    expect(log[1].headers.get('idempotency-key')).toBe(log[0].headers.get('idempotency-key'));
  });

  it('adds a new Idempotency-Key to every POST and PATCH, and none to GET', async () => {
    const log: Sent[] = [];
    const api = client({ fetch: watchingFetch(log) }, await createOrgWithKey(t));
    const release = await api.post('/v1/releases', { body: RELEASE });
    await api.patch('/v1/releases/{id}', { params: { path: { id: release.id } }, body: { genre: 'Jazz' } });
    await api.get('/v1/releases/{id}', { params: { path: { id: release.id } } });
    const keys = log.map((s) => s.headers.get('idempotency-key'));
    expect(keys[0]).toEqual(expect.any(String));
    expect(keys[1]).toEqual(expect.any(String));
    expect(keys[1]).not.toBe(keys[0]);
    expect(keys[2]).toBeNull();
  });

  it('waits out a 429 for as long as Retry-After says, then succeeds', async () => {
    const own = await createOrgWithKey(t);
    const log: Sent[] = [];
    const retries: RetryEvent[] = [];
    const api = client({ fetch: watchingFetch(log), onRetry: (event) => retries.push(event) }, own);
    for (let i = 0; i < 12 && !log.some((s) => s.status === 429); i++) await api.get('/v1/releases');
    const refused = log.findIndex((s) => s.status === 429);
    expect(refused).toBeGreaterThanOrEqual(0);
    const retryAfterSeconds = Number(log[refused].retryAfter);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retries).toEqual([expect.objectContaining({ reason: 429, delayMs: retryAfterSeconds * 1000 })]);
    const next = log[refused + 1];
    expect(next.status).toBe(200);
    expect(next.at - log[refused].at).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 50);

    // Without retries, the 429 is the caller's, as a problem.
    const once = client({ retry: false }, own);
    let error: unknown;
    for (let i = 0; i < 12 && !error; i++) error = await once.get('/v1/releases').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect({ status: (error as ProblemError).status, slug: (error as ProblemError).slug }).toEqual({ status: 429, slug: 'quota-exceeded' });
    expect((error as ProblemError).headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('exchanges client credentials for a token, reuses it, and refreshes it ahead of expiry', async () => {
    let now = Date.now();
    const log: Sent[] = [];
    const api = client({ auth: 'oauth', scope: 'releases:read', fetch: watchingFetch(log), now: () => now });
    await api.get('/v1/releases');
    await api.get('/v1/releases');
    const tokenRequests = () => log.filter((s) => s.path === '/v1/oauth/token');
    expect(tokenRequests()).toHaveLength(1);
    const calls = log.filter((s) => s.path === '/v1/releases');
    for (const call of calls) {
      expect(call.headers.get('authorization')).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(call.headers.has('x-api-key')).toBe(false);
    }
    expect(calls[0].headers.get('authorization')).toBe(calls[1].headers.get('authorization'));
    // 60 s tokens are refreshed 30 s early: at +29 s the token is kept, at +31 s replaced.
    now += 29_000;
    await api.get('/v1/releases');
    expect(tokenRequests()).toHaveLength(1);
    now += 2_000;
    await api.get('/v1/releases');
    expect(tokenRequests()).toHaveLength(2);
    // The token carries only the scope asked for.
    const refused = await api.post('/v1/releases', { body: RELEASE }).catch((e: unknown) => e);
    expect((refused as ProblemError).status).toBe(403);
    expect(inspect(api, { depth: 10 }) + JSON.stringify(api)).not.toContain(org.key);
  });

  it('reports a refused client credential as a ProblemError carrying the OAuth error', async () => {
    const api = createMusicpubClient({ baseUrl, auth: 'oauth', apiKey: 'mpk_live_not-a-key', keyId: org.keyId, env: {} });
    const error = (await api.get('/v1/releases').catch((e: unknown) => e)) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect({ status: error.status, oauthError: error.problem.oauthError }).toEqual({ status: 401, oauthError: 'invalid_client' });
  });

  it.each(['hmac-sha256', 'ed25519'] as const)('signs requests (RFC 9421, %s) for a key that requires it', async (alg) => {
    const admin = client();
    const pair = alg === 'ed25519' ? generateKeyPairSync('ed25519') : undefined;
    const created = await admin.post('/v1/api-keys', {
      body: {
        name: `client ${alg}`,
        scopes: ['releases:read', 'releases:write'],
        requireSignedRequests: alg,
        ...(pair ? { signingPublicKey: pair.publicKey.export({ format: 'jwk' }) } : {}),
      } as never,
    });
    const { id, key, signingSecret } = created as { id: string; key: string; signingSecret?: string };
    const signing = alg === 'ed25519' ? { alg, privateKey: pair!.privateKey } : { alg, secret: signingSecret! };

    const signed = createMusicpubClient({ baseUrl, apiKey: key, keyId: id, signing, env: {} });
    const release = await signed.post('/v1/releases', { body: RELEASE });
    await signed.get('/v1/releases/{id}', { params: { path: { id: release.id } } });
    // Tokens too: the token request is signed as well.
    const viaToken = createMusicpubClient({ baseUrl, apiKey: key, keyId: id, signing, auth: 'oauth', env: {} });
    await viaToken.get('/v1/releases');
    // Compared as text: a base64 secret holds `+` and `/`, which a regular expression would read as syntax.
    const shown = inspect(signed, { depth: 10 }) + JSON.stringify(signed);
    for (const secret of [key, signingSecret].filter((s): s is string => s !== undefined)) expect(shown).not.toContain(secret);

    const unsigned = await createMusicpubClient({ baseUrl, apiKey: key, env: {} })
      .get('/v1/releases')
      .catch((e: unknown) => e);
    expect((unsigned as ProblemError).status).toBe(401);
  });

  it('verifies a real webhook delivery, and refuses a tampered body or a stale timestamp', async () => {
    const api = client();
    const endpoint = await api.post('/v1/webhook-endpoints', { body: { url: receiver.url('/client'), events: ['webhook.test'] } as never });
    const { id, secret } = endpoint as { id: string; secret: string };
    receiver.secrets = [secret];
    await api.post('/v1/webhook-endpoints/{id}/test', { params: { path: { id } } });
    const [delivery] = await receiver.waitFor((all) => all.some((d) => d.path === '/client'));

    const event = verifyWebhook<{ type: string }>(delivery.body, delivery.headers as Record<string, string>, secret);
    expect(event.type).toBe('webhook.test');
    expect(verifyWebhook(delivery.body, new Headers(delivery.headers as Record<string, string>), ['whsec_' + 'A'.repeat(43), secret])).toEqual(event);
    expect(() => verifyWebhook(delivery.body.replace('webhook.test', 'release.live'), delivery.headers as Record<string, string>, secret)).toThrow(WebhookVerificationError);

    // Correctly signed, but 6 minutes old: outside the ±5 min window.
    const old = new Date(Date.now() - 6 * 60_000);
    const msgId = `msg_${randomUUID()}`;
    const headers = { 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(msgId, old, delivery.body) };
    expect(() => verifyWebhook(delivery.body, headers, secret)).toThrow(/too old/);
  });

  it('is a MusicpubClient whose constructor refuses OAuth without a key id', () => {
    expect(client()).toBeInstanceOf(MusicpubClient);
    expect(() => createMusicpubClient({ baseUrl, auth: 'oauth', apiKey: 'k', env: {} })).toThrow(/keyId/);
  });
});
