// API guide: Operations: structured JSON logs carry the request id; credentials, secrets,
// Authorization, X-API-Key, cookies and signatures never reach them. Drives the
// real app and searches everything it logged for every secret it was sent.
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { ApiKeysService } from '../src/modules/api-keys/api-keys.service';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type LogLine = Record<string, unknown> & {
  level?: number;
  msg?: string;
  requestId?: string;
  req?: { id?: string; method?: string; url?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number };
};

function requestLines(t: TestApp): LogLine[] {
  return (t.logs as LogLine[]).filter((line) => line.req !== undefined && line.res !== undefined);
}

/**
 * The request line of `requestId`. pino-http writes it when the response
 * finishes, which can be a moment after the client has read the response.
 */
async function lineFor(t: TestApp, requestId: string): Promise<LogLine> {
  const find = () => requestLines(t).filter((line) => line.req?.id === requestId);
  for (let waited = 0; find().length === 0 && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  const lines = find();
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** Every way a secret could appear in a log: raw, URL-encoded, base64 (as inside Basic). */
function expectNowhereInLogs(t: TestApp, secrets: string[]): void {
  const text = JSON.stringify(t.logs);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThanOrEqual(8); // guard against vacuous checks
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      if (text.includes(form)) throw new Error(`a secret reached the logs: …${form.slice(0, 12)}…`);
    }
  }
}

const random = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/**
 * Has the key listing write a warning through a service's own `new Logger`,
 * after an await, as code deep inside a request does: the line must carry the
 * request's id although nothing passed it along.
 */
function warnInsideKeyListing(t: TestApp, probe: string): jest.SpyInstance {
  const keys = t.app.get(ApiKeysService);
  const list = keys.list.bind(keys);
  return jest.spyOn(keys, 'list').mockImplementationOnce(async (...args: Parameters<ApiKeysService['list']>) => {
    await new Promise((resolve) => setImmediate(resolve));
    new Logger('Probe').warn({ probe }, 'written inside the request');
    return list(...args);
  });
}

describe('request logging', () => {
  let t: TestApp;
  let org: OrgWithKey;
  beforeAll(async () => {
    // The most verbose level: whatever any layer logs, it must not be a secret.
    t = await startTestApp({ env: { LOG_LEVEL: 'trace' } });
    org = await createOrgWithKey(t);
  });
  afterAll(() => t.close());

  it('logs one request line per request, with the request id, method and URL', async () => {
    const res = await t.http.get('/v1/api-keys?limit=5').set('X-API-Key', org.key).expect(200);
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
    const line = await lineFor(t, requestId);
    expect(line.requestId).toBe(requestId);
    expect(line.req).toMatchObject({ id: requestId, method: 'GET', url: '/v1/api-keys?limit=5' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(line.level).toBe(30); // info
    expect(typeof line.time).toBe('number');

    const echoed = await t.http.post('/v1/api-keys').set('X-API-Key', org.key).set('X-Request-Id', 'client-chosen-id-0001').send({ nope: 1 });
    expect(echoed.status).toBe(400);
    expect(echoed.headers['x-request-id']).toBe('client-chosen-id-0001');
    expect(await lineFor(t, 'client-chosen-id-0001')).toMatchObject({
      requestId: 'client-chosen-id-0001',
      req: { method: 'POST', url: '/v1/api-keys' },
      res: { statusCode: 400 },
    });
  });

  it('keeps every credential out of the logs, accepted or refused', async () => {
    const token = await tokenFor(t, org);
    const wellFormedUnknownKey = generateApiKey('live');
    const garbageKey = random('not-a-key-SECRET');
    const fakeBearer = random('eyJfakeBearerSECRET');
    const cookie = random('session-SECRET');
    const signature = randomBytes(32).toString('base64');
    const queryToken = random('access-token-SECRET');
    const wrongClientSecret = generateApiKey('live');
    const customAuthToken = random('x-auth-token-SECRET');

    const calls: Array<{ id: string; status: number; run: (id: string) => Promise<{ status: number; headers: Record<string, string> }> }> = [
      // The valid key and the token, accepted.
      { id: 'log-valid-key-001', status: 200, run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('X-API-Key', org.key) },
      { id: 'log-bearer-ok-002', status: 200, run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('Authorization', `Bearer ${token}`) },
      // Refused credentials.
      { id: 'log-unknown-key-003', status: 401, run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('X-API-Key', wellFormedUnknownKey) },
      { id: 'log-garbage-key-004', status: 401, run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('X-API-Key', garbageKey) },
      { id: 'log-bad-bearer-005', status: 401, run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('Authorization', `Bearer ${fakeBearer}`) },
      {
        id: 'log-both-creds-006',
        status: 401,
        run: (id) => t.http.get('/v1/api-keys').set('X-Request-Id', id).set('X-API-Key', org.key).set('Authorization', `Bearer ${token}`),
      },
      // Cookies, signatures and unknown credential headers ride along a valid request.
      {
        id: 'log-cookie-sig-007',
        status: 200,
        run: (id) =>
          t.http
            .get('/v1/api-keys')
            .set('X-Request-Id', id)
            .set('X-API-Key', org.key)
            .set('Cookie', `session=${cookie}; theme=dark`)
            .set('Signature', `sig1=:${signature}:`)
            .set('Signature-Input', `sig1=("@method" "@target-uri");keyid="${org.keyId}";created=1700000000`)
            .set('X-Auth-Token', customAuthToken),
      },
      // A key and a token in the query string: refused (API guide: Authentication) and never logged.
      {
        id: 'log-query-creds-008',
        status: 401,
        run: (id) => t.http.get(`/v1/api-keys?api_key=${org.key}&access_token=${queryToken}&limit=3`).set('X-Request-Id', id),
      },
      { id: 'log-query-token-009', status: 401, run: (id) => t.http.get(`/v1/api-keys?token=${token}`).set('X-Request-Id', id) },
      // OAuth client credentials in a form body, a JSON body and HTTP Basic.
      {
        id: 'log-oauth-form-010',
        status: 200,
        run: (id) =>
          t.http
            .post('/v1/oauth/token')
            .set('X-Request-Id', id)
            .type('form')
            .send({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: org.key }),
      },
      {
        id: 'log-oauth-bad-011',
        status: 401,
        run: (id) =>
          t.http
            .post('/v1/oauth/token')
            .set('X-Request-Id', id)
            .type('form')
            .send({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: wrongClientSecret }),
      },
      {
        id: 'log-oauth-json-012',
        status: 200,
        run: (id) =>
          t.http
            .post('/v1/oauth/token')
            .set('X-Request-Id', id)
            .send({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: org.key }),
      },
      {
        id: 'log-oauth-basic-013',
        status: 200,
        run: (id) =>
          t.http
            .post('/v1/oauth/token')
            .set('X-Request-Id', id)
            .auth(org.keyId, org.key)
            .type('form')
            .send({ grant_type: 'client_credentials' }),
      },
      {
        id: 'log-oauth-basic-bad-014',
        status: 401,
        run: (id) =>
          t.http
            .post('/v1/oauth/token')
            .set('X-Request-Id', id)
            .auth(org.keyId, wrongClientSecret)
            .type('form')
            .send({ grant_type: 'client_credentials' }),
      },
      // client_secret in the token endpoint's query string.
      {
        id: 'log-oauth-query-015',
        status: 401,
        run: (id) =>
          t.http
            .post(`/v1/oauth/token?client_secret=${org.key}`)
            .set('X-Request-Id', id)
            .type('form')
            .send({ grant_type: 'client_credentials', client_id: org.keyId }),
      },
    ];

    const issuedTokens: string[] = [];
    for (const call of calls) {
      const res = await call.run(call.id);
      expect({ id: call.id, status: res.status }).toEqual({ id: call.id, status: call.status });
      expect(res.headers['x-request-id']).toBe(call.id);
      const accessToken = (res as unknown as { body?: { access_token?: string } }).body?.access_token;
      if (accessToken) issuedTokens.push(accessToken);
    }

    // The request lines exist, each with its id, method and a URL whose credentials are masked.
    for (const call of calls) {
      const line = await lineFor(t, call.id);
      expect(line.requestId).toBe(call.id);
      expect(line.res?.statusCode).toBe(call.status);
      expect(line.req?.method).toMatch(/^(GET|POST)$/);
      expect(line.req?.url).toMatch(/^\/v1\//);
    }
    expect((await lineFor(t, 'log-query-creds-008')).req?.url).toMatch(/^\/v1\/api-keys\?api_key=.+&access_token=.+&limit=3$/);

    // No header that carries a credential was logged, not even by name.
    for (const line of requestLines(t)) {
      const names = Object.keys(line.req?.headers ?? {});
      for (const name of ['authorization', 'x-api-key', 'cookie', 'signature', 'signature-input', 'x-auth-token']) expect(names).not.toContain(name);
    }

    expectNowhereInLogs(t, [
      org.key,
      token,
      ...issuedTokens,
      wellFormedUnknownKey,
      garbageKey,
      fakeBearer,
      cookie,
      signature,
      queryToken,
      wrongClientSecret,
      customAuthToken,
      `${org.keyId}:${org.key}`,
      `${org.keyId}:${wrongClientSecret}`,
    ]);
    // Token signature segments alone would be enough to replay nothing, but the
    // payload names the org and scopes: keep the whole token out.
    for (const jwt of [token, ...issuedTokens]) expect(JSON.stringify(t.logs)).not.toContain(jwt.split('.')[2]);
  });

  it('logs an unexpected error (500) with the request id, keeping the credential out', async () => {
    const keys = t.app.get(ApiKeysService);
    const spy = jest.spyOn(keys, 'list').mockRejectedValueOnce(new Error('simulated failure in the key listing'));
    try {
      const res = await t.http.get('/v1/api-keys').set('X-API-Key', org.key).set('X-Request-Id', 'log-internal-500').expect(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 500, requestId: 'log-internal-500' });
      expect(JSON.stringify(res.body)).not.toContain('simulated failure');
    } finally {
      spy.mockRestore();
    }
    expect(await lineFor(t, 'log-internal-500')).toMatchObject({ requestId: 'log-internal-500', res: { statusCode: 500 } });
    const errorLines = (t.logs as LogLine[]).filter((line) => (line.level ?? 0) >= 50 && JSON.stringify(line).includes('simulated failure'));
    expect(errorLines.length).toBeGreaterThanOrEqual(1);
    for (const line of errorLines) expect(JSON.stringify(line)).toContain('log-internal-500');
    expectNowhereInLogs(t, [org.key]);
  });

  it('logs no query component that is a credential, name or value: a bare ?mpk_live_…, a JWT as a name, a key as a cursor', async () => {
    const token = await tokenFor(t, org);
    const unknownKey = generateApiKey('live');
    const signature = randomBytes(32).toString('base64url');
    const calls = [
      { id: 'log-bare-key-017', url: `/v1/api-keys?${org.key}` },
      { id: 'log-bare-key-018', url: `/v1/api-keys?limit=2&${unknownKey}` },
      { id: 'log-bare-jwt-019', url: `/v1/api-keys?${token}&limit=2` },
      { id: 'log-bare-sig-020', url: `/v1/api-keys?${signature}=1` },
      { id: 'log-key-cursor-021', url: `/v1/api-keys?cursor=${org.key}` },
    ];
    for (const call of calls) {
      const res = await t.http.get(call.url).set('X-Request-Id', call.id).set('X-API-Key', org.key).set('User-Agent', `scripted/1.0 ${unknownKey}`);
      // A credential as a parameter name is refused like one under its usual name (401); the rest are unknown parameters or a bad cursor (400).
      expect({ id: call.id, status: res.status }).toEqual({ id: call.id, status: /bare-(key|jwt)/.test(call.id) ? 401 : 400 });
      expect((await lineFor(t, call.id)).req?.url).toMatch(/^\/v1\/api-keys\?/);
    }
    expect((await lineFor(t, 'log-bare-key-018')).req?.url).toMatch(/^\/v1\/api-keys\?limit=2&/);
    expectNowhereInLogs(t, [org.key, unknownKey, token, signature, org.key.slice(9, 40), unknownKey.slice(9, 40)]);
    expect(JSON.stringify(t.logs)).not.toContain(token.split('.')[2]);
  });

  it('masks a JWT passed as ?jwt= (a name the auth guard itself treats as a credential)', async () => {
    const token = await tokenFor(t, org);
    await t.http.get(`/v1/api-keys?jwt=${token}`).set('X-Request-Id', 'log-query-jwt-016').expect(401);
    expect((await lineFor(t, 'log-query-jwt-016')).res?.statusCode).toBe(401);
    expectNowhereInLogs(t, [token]);
  });

  it("writes a service's line inside a request with that request's id, and only to this app's log", async () => {
    const other = await startTestApp({ env: { LOG_LEVEL: 'info' } });
    try {
      const spy = warnInsideKeyListing(t, 'info-app-probe');
      await t.http.get('/v1/api-keys').set('X-API-Key', org.key).set('X-Request-Id', 'log-service-line-022').expect(200);
      spy.mockRestore();
      const probeLines = (t.logs as LogLine[]).filter((line) => line.probe === 'info-app-probe');
      expect(probeLines).toEqual([
        expect.objectContaining({ level: 40, context: 'Probe', msg: 'written inside the request', requestId: 'log-service-line-022' }),
      ]);
      expect(JSON.stringify(other.logs)).not.toContain('info-app-probe');
      expect(JSON.stringify(other.logs)).not.toContain('log-service-line-022');
    } finally {
      await other.close();
    }
  });
});

describe('request logging above info', () => {
  let t: TestApp;
  let org: OrgWithKey;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
    org = await createOrgWithKey(t);
  });
  afterAll(() => t.close());

  it("writes no request line, but a service's warning inside a request carries the request id and its redacted request", async () => {
    const spy = warnInsideKeyListing(t, 'warn-app-probe');
    await t.http.get(`/v1/api-keys?api_key=${org.key}`).set('X-API-Key', org.key).set('X-Request-Id', 'log-warn-level-023').expect(401);
    await t.http.get('/v1/api-keys?limit=2').set('X-API-Key', org.key).set('X-Request-Id', 'log-warn-level-024').expect(200);
    spy.mockRestore();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requestLines(t)).toEqual([]);
    expect((t.logs as LogLine[]).filter((line) => (line.level ?? 0) < 40)).toEqual([]);
    const probeLines = (t.logs as LogLine[]).filter((line) => line.probe === 'warn-app-probe');
    expect(probeLines).toEqual([
      expect.objectContaining({ level: 40, requestId: 'log-warn-level-024', req: expect.objectContaining({ id: 'log-warn-level-024', method: 'GET', url: '/v1/api-keys?limit=2' }) }),
    ]);
    expectNowhereInLogs(t, [org.key]);
  });
});
