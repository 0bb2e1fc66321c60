// OWASP API2:2023 Broken Authentication. Forged and doctored access tokens
// (alg none, HS256 keyed with the public key, foreign signing keys and kids,
// expired, over-age, wrong issuer/audience/typ, another organization's claim,
// tampered payloads), malformed and guessed API keys, credentials in the
// query string, and credential stuffing against the API and the token
// endpoint with a small THROTTLE_AUTH: refused with 401 + WWW-Authenticate,
// audited, and throttled per client address — without an oracle, and without
// X-Forwarded-For letting an untrusted client pick its own address.
import { createHmac, generateKeyPairSync, randomUUID, sign as signBytes, type KeyObject } from 'node:crypto';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { expectProblemJson } from './helpers/problem-json';
import { keyWithScopes, startSecurityApp } from './helpers/security-tenant';
import type { TestApp } from './helpers/test-app';

const ISSUER = 'https://api.musicpub.local';
const AUDIENCE = 'musicpub-api';

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function newEcKey(): { privateKey: KeyObject; pem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

describe('OWASP API2 — broken authentication', () => {
  // The server's signing key is ours, so tokens that are wrong in exactly one way can be made.
  const serverKey = newEcKey();
  let t: TestApp;
  let org: OrgWithKey;
  let kid: string;

  beforeAll(async () => {
    t = await startSecurityApp({ JWT_PRIVATE_KEY: serverKey.pem });
    org = await createOrgWithKey(t);
    kid = (await t.http.get('/.well-known/jwks.json').expect(200)).body.keys[0].kid;
  });
  afterAll(() => t.close());

  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, aud: AUDIENCE, sub: org.keyId, client_id: org.keyId, org: org.orgId, scope: 'releases:read', jti: randomUUID(), iat: now, exp: now + 300, ...overrides };
  }

  /** An ES256 JWS over exactly this header and payload (written by hand: a JWT library would refuse to make the broken ones). */
  function signed(payload: object, options: { key?: KeyObject; header?: Record<string, unknown> } = {}): string {
    const input = `${b64url({ alg: 'ES256', typ: 'at+jwt', kid, ...options.header })}.${b64url(payload)}`;
    const signature = signBytes('sha256', Buffer.from(input), { key: options.key ?? serverKey.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  const withToken = (token: string) => t.http.get('/v1/releases').set('Authorization', `Bearer ${token}`);

  function expectUnauthenticated(res: Awaited<ReturnType<typeof withToken>>, reason?: string): void {
    const body = expectProblemJson(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/Bearer realm="musicpub"/);
    if (reason) expect(body.reason).toBe(reason);
  }

  it('accepts a correctly made token (the baseline every forgery below differs from in one way)', async () => {
    await withToken(signed(claims())).expect(200);
  });

  describe('forged or doctored access tokens', () => {
    const cases: Array<[string, () => string]> = [
      ['alg: none', () => `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(claims())}.`],
      ['alg: none with a leftover signature', () => `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(claims())}.${signed(claims()).split('.')[2]}`],
      [
        'HS256 keyed with the published public key',
        () => {
          const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64url(claims())}`;
          return `${input}.${createHmac('sha256', serverKey.publicPem).update(input).digest('base64url')}`;
        },
      ],
      ['ES256 by another key under the server’s kid', () => signed(claims(), { key: newEcKey().privateKey })],
      ['ES256 by another key under an unknown kid', () => signed(claims(), { key: newEcKey().privateKey, header: { kid: 'attacker-key' } })],
      ['no kid', () => signed(claims(), { header: { kid: undefined } })],
      ['an embedded jwk and jku', () => signed(claims(), { key: newEcKey().privateKey, header: { kid: 'x', jku: 'https://attacker.example/jwks.json', jwk: { kty: 'EC' } } })],
      ['alg ES384 claimed for an ES256 signature', () => signed(claims(), { header: { alg: 'ES384' } })],
      ['an expired token', () => signed(claims({ iat: Math.floor(Date.now() / 1000) - 1200, exp: Math.floor(Date.now() / 1000) - 60 }))],
      ['issued an hour ago, still “valid” for another hour (over the maximum age)', () => signed(claims({ iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) + 3600 }))],
      // The maximum-age check (jwt.strategy.ts) bounds a token's life to TOKEN_TTL_SECONDS from iat; an iat in the future defeats it.
      ['issued in the future', () => signed(claims({ iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 3900 }))],
      ['another issuer', () => signed(claims({ iss: 'https://evil.example' }))],
      ['another audience', () => signed(claims({ aud: 'some-other-api' }))],
      ['no audience', () => signed(claims({ aud: undefined }))],
      ['typ JWT instead of at+jwt (RFC 9068 §4)', () => signed(claims(), { header: { typ: 'JWT' } })],
      ['no typ', () => signed(claims(), { header: { typ: undefined } })],
      ['an organization other than the key’s', () => signed(claims({ org: 'org_01JF3Z00000000000000000000' }))],
      ['a key id that does not exist', () => signed(claims({ sub: 'key_01JF3Z00000000000000000000', client_id: 'key_01JF3Z00000000000000000000' }))],
      ['claims of the wrong types', () => signed(claims({ exp: String(Math.floor(Date.now() / 1000) + 300), scope: ['releases:read'] }))],
      ['no jti', () => signed(claims({ jti: undefined }))],
      [
        'a real token with its payload edited (scope widened) and the signature kept',
        () => {
          const [header, , signature] = signed(claims()).split('.');
          return `${header}.${b64url(claims({ scope: 'keys:write releases:write' }))}.${signature}`;
        },
      ],
      ['an API key presented as a bearer token', () => org.key],
      ['garbage', () => 'a.b.c'],
    ];

    it.each(cases)('refuses %s with 401', async (_name, make) => {
      expectUnauthenticated(await withToken(make()));
    });

    it('says when a token has merely expired, so a client knows to fetch a new one', async () => {
      expectUnauthenticated(await withToken(signed(claims({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 30 }))), 'token_expired');
    });

    it('never grants a token more than its key holds, whatever its scope claim says', async () => {
      const reader = await keyWithScopes(t, org, ['releases:read']);
      const token = signed(claims({ sub: reader.keyId, client_id: reader.keyId, scope: 'releases:read releases:write keys:write' }));
      await withToken(token).expect(200);
      const res = await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${token}`).send({ name: 'escalated', scopes: ['keys:write'] });
      expect(expectProblemJson(res, 403).missingScopes).toEqual(['keys:write']);
    });

    it('stops a real token as soon as its key is revoked', async () => {
      const holder = await keyWithScopes(t, org, ['releases:read', 'keys:write']);
      const token = await tokenFor(t, holder);
      await withToken(token).expect(200);
      await t.http.delete(`/v1/api-keys/${holder.keyId}`).set('X-API-Key', org.key).expect(204);
      expectUnauthenticated(await withToken(token), 'key_revoked');
    });

    it('audits every refused token as an authentication failure', async () => {
      // Earlier refusals of this file share the bucket, whose request-id sample is bounded: start a fresh one.
      await t.flushAudit();
      const res = await withToken(`${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(claims())}.`);
      expectUnauthenticated(res);
      // Nobody can be named from a forged token: it is counted with the address's other refusals.
      await t.flushAudit();
      const events = await t.prisma.auditEvent.findMany({
        where: { action: 'auth.authenticate', outcome: 'denied', changes: { path: ['requestIds'], array_contains: [res.headers['x-request-id']] } },
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ orgId: null, actorType: 'anonymous', statusCode: 401 });
    });
  });

  describe('API keys and headers', () => {
    const key = () => org.key;
    const cases: Array<[string, () => Record<string, string>]> = [
      ['no credential', () => ({})],
      ['an empty X-API-Key', () => ({ 'X-API-Key': '' })],
      ['a key with a wrong checksum', () => ({ 'X-API-Key': key().slice(0, -1) + (key().endsWith('0') ? '1' : '0') })],
      ['a key with one character changed', () => ({ 'X-API-Key': key().slice(0, 12) + (key()[12] === 'a' ? 'b' : 'a') + key().slice(13) })],
      ['a well-formed key nobody was given', () => ({ 'X-API-Key': generateApiKey('live') })],
      ['the key in upper case', () => ({ 'X-API-Key': key().toUpperCase() })],
      ['the key with a trailing space inside quotes', () => ({ 'X-API-Key': `"${key()}"` })],
      ['a key and a token at once', () => ({ 'X-API-Key': key(), Authorization: 'Bearer x.y.z' })],
      ['Basic credentials', () => ({ Authorization: `Basic ${Buffer.from(`${org.keyId}:${key()}`).toString('base64')}` })],
      ['a bearer scheme with no token', () => ({ Authorization: 'Bearer ' })],
      ['an unknown scheme', () => ({ Authorization: `ApiKey ${key()}` })],
    ];

    it.each(cases)('refuses %s with 401 and a WWW-Authenticate challenge', async (_name, headers) => {
      const res = await t.http.get('/v1/releases').set(headers());
      expectProblemJson(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/ApiKey realm="musicpub"/);
    });

    it('refuses a key sent in the query string, even next to a valid header, and never logs it', async () => {
      for (const name of ['api_key', 'apiKey', 'key', 'access_token', 'token', 'X-API-KEY']) {
        const res = await t.http.get(`/v1/releases?${name}=${org.key}`).set('X-API-Key', org.key);
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
        expect(expectProblemJson(res, 401).reason).toBe('credential_in_query');
        const alone = await t.http.get(`/v1/releases?${name}=${org.key}`);
        expect(alone.status).toBe(401);
      }
      expect(JSON.stringify(t.logs)).not.toContain(org.key);
    });
  });

  describe('the token endpoint', () => {
    const token = (body: Record<string, string>) => t.http.post('/v1/oauth/token').type('form').send(body);

    it('refuses another key’s id with a valid secret, a wrong secret, and a scope the key lacks, in OAuth’s JSON', async () => {
      const other = await createOrgWithKey(t);
      const wrongId = await token({ grant_type: 'client_credentials', client_id: other.keyId, client_secret: org.key });
      expect({ status: wrongId.status, body: wrongId.body }).toEqual({ status: 401, body: { error: 'invalid_client', error_description: expect.any(String) } });
      const wrongSecret = await token({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: generateApiKey('live') });
      expect({ status: wrongSecret.status, error: wrongSecret.body.error }).toEqual({ status: 401, error: 'invalid_client' });
      const reader = await keyWithScopes(t, org, ['releases:read']);
      const escalate = await token({ grant_type: 'client_credentials', client_id: reader.keyId, client_secret: reader.key, scope: 'releases:read keys:write' });
      expect({ status: escalate.status, error: escalate.body.error }).toEqual({ status: 400, error: 'invalid_scope' });
      for (const res of [wrongId, wrongSecret, escalate]) expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers a malformed JSON body with OAuth’s invalid_request, not another error format (RFC 6749 §5.2)', async () => {
      const res = await t.http.post('/v1/oauth/token').set('Content-Type', 'application/json').send('{"grant_type":');
      expect({ status: res.status, contentType: res.headers['content-type'], error: res.body.error }).toEqual({
        status: 400,
        contentType: expect.stringMatching(/^application\/json/),
        error: 'invalid_request',
      });
    });

    it('answers undecodable HTTP Basic credentials with invalid_client, not a 400 about the URL', async () => {
      const res = await t.http.post('/v1/oauth/token').type('form').set('Authorization', `Basic ${Buffer.from('%zz:%zz').toString('base64')}`).send({ grant_type: 'client_credentials' });
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    });
  });

  describe('credential stuffing with THROTTLE_AUTH=5/60', () => {
    let limited: TestApp;
    let limitedOrg: OrgWithKey;
    let untrusting: TestApp;

    beforeAll(async () => {
      // Behind a trusted proxy at 127.0.0.1, so each scenario can come from its own client address.
      limited = await startSecurityApp({ THROTTLE_AUTH: '5/60', TRUSTED_PROXIES: '127.0.0.1' });
      limitedOrg = await createOrgWithKey(limited);
      untrusting = await startSecurityApp({ THROTTLE_AUTH: '5/60' });
    });
    afterAll(async () => {
      await limited.close();
      await untrusting.close();
    });

    it('throttles guessed keys per client address, then refuses even the right key from there (no oracle), but not from elsewhere', async () => {
      const from = (address: string, apiKey: string) => limited.http.get('/v1/releases').set('X-Forwarded-For', address).set('X-API-Key', apiKey);
      for (let i = 0; i < 5; i++) {
        const res = await from('198.51.100.10', generateApiKey('live'));
        expectProblemJson(res, 401);
        expect(res.headers['ratelimit']).toMatch(/"auth";r=\d+;t=\d+/);
      }
      const blocked = await from('198.51.100.10', generateApiKey('live'));
      expect(expectProblemJson(blocked, 429).type).toMatch(/#quota-exceeded$/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expectProblemJson(await from('198.51.100.10', limitedOrg.key), 429);
      await from('198.51.100.11', limitedOrg.key).expect(200);
    });

    it('throttles guessed client secrets at the token endpoint', async () => {
      const attempt = (secret: string) =>
        limited.http.post('/v1/oauth/token').set('X-Forwarded-For', '198.51.100.20').type('form').send({ grant_type: 'client_credentials', client_id: limitedOrg.keyId, client_secret: secret });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await attempt(generateApiKey('live'))).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect((await attempt(limitedOrg.key)).status).toBe(429);
    });

    it('does not let an untrusted client escape the limit by rotating X-Forwarded-For', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await untrusting.http.get('/v1/releases').set('X-Forwarded-For', `203.0.113.${i + 1}`).set('X-API-Key', generateApiKey('live'));
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    });
  });
});
