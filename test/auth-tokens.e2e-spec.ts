// OAuth 2.0 client credentials and the access tokens it issues (API guide: Authentication,
// RFC 6749 §4.4/§5.2, RFC 9068), attacked through the real JWT guard.
//
// The server here signs with a key this file generated (JWT_PRIVATE_KEY), so
// tests can forge tokens with the server's own key and check that each
// verification rule (issuer, audience, expiry, lifetime, typ, org) holds on
// its own, next to a control token that differs from the forgery in one claim
// and is accepted. Key rotation is played out for real: an instance signing
// with the old key issues a token and stops; the instance that replaces it
// signs with a new key and keeps the old public key (JWT_PREVIOUS_PUBLIC_KEY).
//
// Only one app is alive at a time: @nestjs/passport registers strategies in
// the process-wide passport singleton, so of two apps in one process the last
// one started would authenticate the requests of both.
import { createHash, createHmac, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject, randomUUID, sign, verify } from 'node:crypto';
import type supertest from 'supertest';
import { generateApiKey } from '../src/modules/api-keys/key-format';
import { SCOPES } from '../src/platform/auth/scopes';
import { createOrgWithKey, OrgWithKey, tokenFor } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

type Res = supertest.Response;

const ISSUER = 'https://issuer.musicpub.test';
const AUDIENCE = 'musicpub-test-api';
const TTL = 60;
const PROBLEM_JSON = /^application\/problem\+json/;
// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
const OAUTH_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

const newP256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const OLD = newP256(); // signed tokens before the rotation
const CURRENT = newP256(); // signs now
const STRANGER = newP256(); // never configured anywhere

const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

/** RFC 7638 §3.2 thumbprint of an EC key, written out member by member. */
function thumbprint(publicKey: KeyObject): string {
  const { x, y } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`).digest('base64url');
}

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function jwt(header: object, payload: object, signWith?: (input: string) => Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${signWith ? signWith(input).toString('base64url') : ''}`;
}

const es256 = (privateKey: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

function expectUnauthenticated(res: Res, reason = 'token_invalid'): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="musicpub"/);
  expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', reason });
}

function expectOAuthError(res: Res, status: 400 | 401, error: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
  expect(res.body.error).toBe(error);
  expect(res.body.error_description).toMatch(OAUTH_DESCRIPTION);
  expect(res.text).not.toContain('access_token');
}

describe('OAuth client credentials and access tokens', () => {
  let database: TestDatabase;
  let t: TestApp;
  let beforeRotation: { org: OrgWithKey; token: string; jwks: { keys: JsonWebKey[] }; body: Record<string, unknown> };

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
    // The instance before the rotation: default lifetime (900 s), old key.
    const old = await startTestApp({ database, env: { ...shared, JWT_PRIVATE_KEY: pkcs8(OLD.privateKey) } });
    try {
      const org = await createOrgWithKey(old);
      const res = await old.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: org.keyId, client_secret: org.key });
      const jwks = await old.http.get('/.well-known/jwks.json');
      beforeRotation = { org, token: res.body.access_token as string, jwks: jwks.body, body: res.body };
    } finally {
      await old.close();
    }
    t = await startTestApp({
      database,
      env: { ...shared, TOKEN_TTL_SECONDS: String(TTL), JWT_PRIVATE_KEY: pkcs8(CURRENT.privateKey), JWT_PREVIOUS_PUBLIC_KEY: spki(OLD.publicKey) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const tokenRequest = () => t.http.post('/v1/oauth/token');

  function claimsFor(who: { keyId: string; orgId: string }, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, aud: AUDIENCE, sub: who.keyId, client_id: who.keyId, org: who.orgId, scope: 'keys:read', jti: randomUUID(), iat: now, exp: now + TTL, ...overrides };
  }
  const currentHeader = (overrides: Record<string, unknown> = {}) => ({ alg: 'ES256', typ: 'at+jwt', kid: thumbprint(CURRENT.publicKey), ...overrides });
  const withToken = (token: string) => t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`);

  async function keyWith(admin: OrgWithKey, scopes: string[]): Promise<OrgWithKey> {
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'scoped', scopes }).expect(201);
    return { orgId: admin.orgId, keyId: res.body.id as string, key: res.body.key as string };
  }

  async function orgSnapshot(orgId: string): Promise<unknown> {
    const keys = await t.prisma.apiKey.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const events = await t.prisma.outboxEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    // lastUsedAt and dispatchedAt are written in the background (last-use tracker, webhook delivery).
    return { keys: keys.map(({ lastUsedAt: _used, ...rest }) => rest), events: events.map(({ dispatchedAt: _dispatched, ...rest }) => rest) };
  }

  describe('POST /v1/oauth/token', () => {
    it('issues a Bearer token for a form-encoded request, not cacheable', async () => {
      const admin = await createOrgWithKey(t);
      const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: TTL, scope: SCOPES.join(' ') });
      await withToken(res.body.access_token as string).expect(200);
    });

    it('accepts a JSON body and HTTP Basic client authentication', async () => {
      const admin = await createOrgWithKey(t);
      const json = await tokenRequest().send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key }).expect(200);
      await withToken(json.body.access_token as string).expect(200);
      const basic = await tokenRequest()
        .set('Authorization', `Basic ${Buffer.from(`${admin.keyId}:${admin.key}`).toString('base64')}`)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      await withToken(basic.body.access_token as string).expect(200);
    });

    it('issues RFC 9068 claims: kid, iss, aud, sub, org, scope, jti, iat, exp − iat = TOKEN_TTL_SECONDS', async () => {
      const admin = await createOrgWithKey(t);
      const before = Math.floor(Date.now() / 1000);
      const first = await tokenFor(t, admin);
      const second = await tokenFor(t, admin);
      const { header, payload } = decode(first);
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: thumbprint(CURRENT.publicKey) });
      expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: admin.keyId, org: admin.orgId, scope: SCOPES.join(' ') });
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(decode(second).payload.jti).not.toBe(payload.jti);
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      expect((payload.exp as number) - (payload.iat as number)).toBe(TTL);
      // The signature verifies with the current public key.
      const [h, p, s] = first.split('.');
      expect(verify('sha256', Buffer.from(`${h}.${p}`), { key: CURRENT.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
    });

    it('defaults to a lifetime of 15 minutes at most', () => {
      const { payload } = decode(beforeRotation.token);
      expect(beforeRotation.body.expires_in).toBe(900);
      expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    });

    it('narrows the scope on request; the token then carries only that scope', async () => {
      const admin = await createOrgWithKey(t);
      const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key, scope: 'keys:read releases:read' }).expect(200);
      expect(res.body.scope).toBe('keys:read releases:read');
      const token = res.body.access_token as string;
      expect(decode(token).payload.scope).toBe('keys:read releases:read');
      await withToken(token).expect(200);
      const before = await orgSnapshot(admin.orgId);
      const denied = await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${token}`).send({ name: 'x', scopes: ['keys:read'] });
      expect(denied.status).toBe(403);
      expect(denied.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(denied.body.missingScopes).toEqual(['keys:write']);
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it.each([
      ['a scope the key does not hold', 'keys:read'],
      ['one held and one not held', 'releases:read keys:write'],
      ['the wildcard', '*'],
      ['an unknown scope', 'admin'],
    ])('answers invalid_scope (400) for %s', async (_label, scope) => {
      const admin = await createOrgWithKey(t);
      const reader = await keyWith(admin, ['releases:read']);
      const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: reader.keyId, client_secret: reader.key, scope });
      expectOAuthError(res, 400, 'invalid_scope');
    });

    it('keeps error_description within the RFC 6749 character set when echoing a requested scope', async () => {
      const admin = await createOrgWithKey(t);
      const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key, scope: 'r\u00e9leases:"read"\\' });
      expectOAuthError(res, 400, 'invalid_scope');
    });

    it.each(['password', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])(
      'answers unsupported_grant_type (400) for grant_type=%s',
      async (grant) => {
        const admin = await createOrgWithKey(t);
        const res = await tokenRequest().type('form').send({ grant_type: grant, client_id: admin.keyId, client_secret: admin.key });
        expectOAuthError(res, 400, 'unsupported_grant_type');
      },
    );

    it('answers invalid_request (400) without grant_type, for a repeated parameter, and for both Basic and client_secret', async () => {
      const admin = await createOrgWithKey(t);
      expectOAuthError(await tokenRequest().type('form').send({ client_id: admin.keyId, client_secret: admin.key }), 400, 'invalid_request');
      expectOAuthError(
        await tokenRequest().type('form').send(`grant_type=client_credentials&grant_type=client_credentials&client_id=${admin.keyId}&client_secret=${admin.key}`),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await tokenRequest()
          .set('Authorization', `Basic ${Buffer.from(`${admin.keyId}:${admin.key}`).toString('base64')}`)
          .type('form')
          .send({ grant_type: 'client_credentials', client_secret: admin.key }),
        400,
        'invalid_request',
      );
    });

    it('answers invalid_client (401) when client_id is not the key’s id', async () => {
      const admin = await createOrgWithKey(t);
      const other = await keyWith(admin, ['keys:read']);
      const elsewhere = await createOrgWithKey(t);
      for (const clientId of [other.keyId, elsewhere.keyId, 'key_00000000000000000000000000', admin.key]) {
        const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: admin.key });
        expectOAuthError(res, 401, 'invalid_client');
      }
    });

    it('answers invalid_client (401) for a missing, malformed, unknown, revoked or expired secret', async () => {
      const admin = await createOrgWithKey(t);
      const revoked = await keyWith(admin, ['keys:read']);
      await t.http.delete(`/v1/api-keys/${revoked.keyId}`).set('X-API-Key', admin.key).expect(204);
      const expired = await keyWith(admin, ['keys:read']);
      await t.prisma.apiKey.update({ where: { id: expired.keyId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const attempts: Array<[string, string | undefined]> = [
        [admin.keyId, undefined],
        [admin.keyId, 'not-a-key'],
        [admin.keyId, admin.key.slice(0, -1) + (admin.key.endsWith('A') ? 'B' : 'A')],
        [admin.keyId, generateApiKey('live')],
        [revoked.keyId, revoked.key],
        [expired.keyId, expired.key],
      ];
      const before = await orgSnapshot(admin.orgId);
      for (const [clientId, secret] of attempts) {
        const res = await tokenRequest().type('form').send({ grant_type: 'client_credentials', client_id: clientId, ...(secret ? { client_secret: secret } : {}) });
        expectOAuthError(res, 401, 'invalid_client');
      }
      expect(await orgSnapshot(admin.orgId)).toEqual(before);
    });

    it('challenges a failed HTTP Basic authentication with WWW-Authenticate: Basic', async () => {
      const admin = await createOrgWithKey(t);
      for (const credentials of [`${admin.keyId}:${generateApiKey('live')}`, 'no-colon-here', `:${admin.key}`]) {
        const res = await tokenRequest().set('Authorization', `Basic ${Buffer.from(credentials).toString('base64')}`).type('form').send({ grant_type: 'client_credentials' });
        expectOAuthError(res, 401, 'invalid_client');
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
      }
    });

    it('never takes client credentials from the query string, and never logs them', async () => {
      const admin = await createOrgWithKey(t);
      const res = await tokenRequest()
        .query({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key })
        .type('form')
        .send('');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body.access_token).toBeUndefined();
      for (let i = 0; i < 50 && !t.logs.some((l) => l.requestId === res.headers['x-request-id']); i++) await new Promise((r) => setTimeout(r, 10));
      expect(t.logs.filter((line) => JSON.stringify(line).includes(admin.key.slice(15)))).toEqual([]);
    });
  });

  describe('JWKS and signing-key rotation', () => {
    it('publishes the current and the previous public key, and nothing private', async () => {
      const res = await t.http.get('/.well-known/jwks.json').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const kids = (res.body.keys as JsonWebKey[]).map((k) => k.kid).sort();
      expect(kids).toEqual([thumbprint(CURRENT.publicKey), thumbprint(OLD.publicKey)].sort());
      for (const jwk of res.body.keys as JsonWebKey[]) {
        expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(jwk).not.toHaveProperty('d');
        // Each published key is the one its kid names.
        expect(thumbprint(createPublicKey({ key: jwk, format: 'jwk' }))).toBe(jwk.kid);
      }
      // Before the rotation only the old key was published, under the kid its tokens carried.
      expect(beforeRotation.jwks.keys.map((k) => k.kid)).toEqual([thumbprint(OLD.publicKey)]);
      expect(decode(beforeRotation.token).header.kid).toBe(thumbprint(OLD.publicKey));
    });

    it('accepts a token issued with the previous key (JWT_PREVIOUS_PUBLIC_KEY) until it expires', async () => {
      await withToken(beforeRotation.token).expect(200);
      // And one forged now with the old key, so this does not depend on the token above.
      const fresh = jwt({ alg: 'ES256', typ: 'at+jwt', kid: thumbprint(OLD.publicKey) }, claimsFor(beforeRotation.org), es256(OLD.privateKey));
      await withToken(fresh).expect(200);
    });

    it('signs new tokens with the current key only', async () => {
      const admin = await createOrgWithKey(t);
      expect(decode(await tokenFor(t, admin)).header.kid).toBe(thumbprint(CURRENT.publicKey));
    });

    it('refuses a token signed by a key it never published, whatever kid it claims', async () => {
      const admin = await createOrgWithKey(t);
      const claims = claimsFor(admin);
      expectUnauthenticated(await withToken(jwt({ alg: 'ES256', typ: 'at+jwt', kid: thumbprint(STRANGER.publicKey) }, claims, es256(STRANGER.privateKey))));
      expectUnauthenticated(await withToken(jwt(currentHeader(), claims, es256(STRANGER.privateKey))));
      expectUnauthenticated(await withToken(jwt({ alg: 'ES256', typ: 'at+jwt', kid: thumbprint(OLD.publicKey) }, claims, es256(STRANGER.privateKey))));
      expectUnauthenticated(await withToken(jwt({ alg: 'ES256', typ: 'at+jwt' }, claims, es256(CURRENT.privateKey)))); // no kid
    });
  });

  describe('forged and altered tokens', () => {
    it('accepts the control token: the server’s key, every claim right', async () => {
      const admin = await createOrgWithKey(t);
      await withToken(jwt(currentHeader(), claimsFor(admin), es256(CURRENT.privateKey))).expect(200);
    });

    it.each([
      ['a wrong audience', { aud: 'another-api' }, 'token_invalid'],
      ['an audience list without ours', { aud: ['another-api', 'third-api'] }, 'token_invalid'],
      ['a wrong issuer', { iss: 'https://evil.example' }, 'token_invalid'],
      ['no issuer', { iss: undefined }, 'token_invalid'],
      ['no audience', { aud: undefined }, 'token_invalid'],
      ['no exp', { exp: undefined }, 'token_invalid'],
      ['no org', { org: undefined }, 'token_invalid'],
      ['no sub', { sub: undefined }, 'token_invalid'],
      ['no iat', { iat: undefined }, 'token_invalid'],
      ['nbf an hour ahead', { nbf: Math.floor(Date.now() / 1000) + 3600 }, 'token_invalid'],
      // jsonwebtoken reports maxAge (iat + TTL) as an expiry.
      ['a lifetime beyond TOKEN_TTL_SECONDS (iat an hour ago, exp in an hour)', { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) + 3600 }, 'token_expired'],
      ['a sub that is no key', { sub: 'key_00000000000000000000000000' }, 'token_invalid'],
      ['an unknown-key sub shaped like an API key', { sub: generateApiKey('live') }, 'token_invalid'],
    ] as Array<[string, Record<string, unknown>, string]>)('refuses a token signed with the server’s key but with %s', async (_label, overrides, reason) => {
      const admin = await createOrgWithKey(t);
      expectUnauthenticated(await withToken(jwt(currentHeader(), claimsFor(admin, overrides), es256(CURRENT.privateKey))), reason);
    });

    it('refuses an expired token (signed with the server’s key) as token_expired', async () => {
      const admin = await createOrgWithKey(t);
      const now = Math.floor(Date.now() / 1000);
      const expired = jwt(currentHeader(), claimsFor(admin, { iat: now - TTL - 30, exp: now - 30 }), es256(CURRENT.privateKey));
      expectUnauthenticated(await withToken(expired), 'token_expired');
    });

    it('refuses a token whose org is not the org of its key (sub)', async () => {
      const admin = await createOrgWithKey(t);
      const other = await createOrgWithKey(t);
      expectUnauthenticated(await withToken(jwt(currentHeader(), claimsFor(admin, { org: other.orgId }), es256(CURRENT.privateKey))));
      expectUnauthenticated(await withToken(jwt(currentHeader(), claimsFor({ keyId: admin.keyId, orgId: other.orgId }), es256(CURRENT.privateKey))));
    });

    it.each([
      ['typ JWT', { typ: 'JWT' }],
      ['no typ', { typ: undefined }],
      ['typ of an ID token', { typ: 'id_token+jwt' }],
    ])('refuses %s (RFC 9068 §4: only at+jwt is an access token)', async (_label, header) => {
      const admin = await createOrgWithKey(t);
      expectUnauthenticated(await withToken(jwt(currentHeader(header), claimsFor(admin), es256(CURRENT.privateKey))));
    });

    it.each(['none', 'None', 'NONE'])('refuses alg: %s', async (alg) => {
      const admin = await createOrgWithKey(t);
      const claims = claimsFor(admin);
      expectUnauthenticated(await withToken(jwt(currentHeader({ alg }), claims)));
      // With a real signature left in place, too.
      const real = jwt(currentHeader(), claims, es256(CURRENT.privateKey));
      const [, , signature] = real.split('.');
      expectUnauthenticated(await withToken(`${b64url(currentHeader({ alg }))}.${b64url(claims)}.${signature}`));
    });

    it('refuses HS256 signed with the server’s public key (from its JWKS) as the HMAC secret', async () => {
      const admin = await createOrgWithKey(t);
      const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as { keys: JsonWebKey[] };
      const published = jwks.keys.find((k) => k.kid === thumbprint(CURRENT.publicKey))!;
      const pem = createPublicKey({ key: published, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
      expect(pem).toBe(spki(CURRENT.publicKey));
      const der = createPublicKey({ key: published, format: 'jwk' }).export({ format: 'der', type: 'spki' });
      for (const secret of [pem, pem.trim(), der, JSON.stringify(published)]) {
        const forged = jwt(currentHeader({ alg: 'HS256' }), claimsFor(admin), (input) => createHmac('sha256', secret).update(input).digest());
        expectUnauthenticated(await withToken(forged));
      }
    });

    it('refuses RS256 and ES384 even with the server’s kid', async () => {
      const admin = await createOrgWithKey(t);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs256 = jwt(currentHeader({ alg: 'RS256' }), claimsFor(admin), (input) => sign('sha256', Buffer.from(input), rsa.privateKey));
      expectUnauthenticated(await withToken(rs256));
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const es384 = jwt(currentHeader({ alg: 'ES384' }), claimsFor(admin), (input) => sign('sha384', Buffer.from(input), { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }));
      expectUnauthenticated(await withToken(es384));
    });

    it('refuses a server-issued token whose payload was altered (scope, org, sub, exp), signature kept', async () => {
      const admin = await createOrgWithKey(t);
      const other = await createOrgWithKey(t);
      const token = await tokenFor(t, admin, 'keys:read');
      await withToken(token).expect(200);
      const [header, payload, signature] = token.split('.');
      const claims = decode(token).payload;
      for (const change of [
        { scope: 'keys:read keys:write' },
        { scope: SCOPES.join(' ') },
        { org: other.orgId },
        { sub: other.keyId, org: other.orgId },
        { exp: (claims.exp as number) + 3600 },
      ]) {
        const tampered = `${header}.${b64url({ ...claims, ...change })}.${signature}`;
        const before = await orgSnapshot(admin.orgId);
        expectUnauthenticated(await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${tampered}`).send({ name: 'x', scopes: ['keys:read'] }));
        expect(await orgSnapshot(admin.orgId)).toEqual(before);
      }
      expect(payload).toBe(b64url(claims)); // the untouched token round-trips, so only the change was refused
    });

    it('grants a token at most its key’s scopes, whatever its scope claim says', async () => {
      const admin = await createOrgWithKey(t);
      const reader = await keyWith(admin, ['releases:read']);
      const inflated = jwt(currentHeader(), claimsFor(reader, { scope: 'releases:read keys:read keys:write' }), es256(CURRENT.privateKey));
      const res = await withToken(inflated);
      expect(res.status).toBe(403);
      expect(res.body.missingScopes).toEqual(['keys:read']);
    });

    it.each([
      ['an empty Bearer', 'Bearer '],
      ['the Basic scheme', 'Basic abc'],
      ['two tokens', 'Bearer a.b.c d.e.f'],
      ['a junk token', 'Bearer not-a-jwt'],
      ['a two-part token', 'Bearer eyJhbGciOiJFUzI1NiJ9.e30'],
    ])('refuses %s in Authorization with 401', async (_label, value) => {
      const res = await t.http.get('/v1/api-keys').set('Authorization', value);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.headers['www-authenticate']).toBeDefined();
    });
  });
});
