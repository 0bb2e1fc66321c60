// Signed requests (API guide: Signed requests, issue 10) through the real app, signed by the
// `http-message-signatures` npm package: keys that require HMAC-SHA256 or
// Ed25519 signatures, every bad-input row refused with 401 and the reason,
// nothing changed, audited; tokens issued from such keys; secrets shown once.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SecretBox } from '../src/platform/crypto/secret-box';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import {
  API_HOST,
  contentDigestOf,
  createSigningKey,
  expectSignatureRefused,
  RELEASE,
  Res,
  send,
  signed,
  signedHeaders,
  SigningAlg,
  SigningKey,
} from './signed-requests.helpers';

const ALGS: SigningAlg[] = ['hmac-sha256', 'ed25519'];

describe('Signed requests (RFC 9421)', () => {
  let t: TestApp;
  let admin: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createOrgWithKey(t);
  });
  afterAll(() => t.close());

  const releaseCount = (orgId: string) => t.prisma.release.count({ where: { orgId } });

  describe('keys that require signatures', () => {
    it('hmac-sha256: the signing secret (32 bytes, base64) is in the creation response only, and stored sealed', async () => {
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'hmac', scopes: ['releases:read'], requireSignedRequests: 'hmac-sha256' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ requireSignedRequests: 'hmac-sha256', signingPublicKey: null });
      const secret = res.body.signingSecret as string;
      expect(Buffer.from(secret, 'base64')).toHaveLength(32);
      expect(Buffer.from(secret, 'base64').toString('base64')).toBe(secret);

      const one = await t.http.get(`/v1/api-keys/${res.body.id}`).set('X-API-Key', admin.key).expect(200);
      const list = await t.http.get('/v1/api-keys?limit=100').set('X-API-Key', admin.key).expect(200);
      expect(one.body).toMatchObject({ id: res.body.id, requireSignedRequests: 'hmac-sha256' });
      expect(one.body).not.toHaveProperty('signingSecret');
      for (const text of [one.text, list.text]) expect(text).not.toContain(secret);

      const row = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.id } });
      expect(row.signatureAlg).toBe('hmac-sha256');
      expect(row.signingSecretSealed).toMatch(/^v1\./);
      expect(row.signingSecretSealed).not.toContain(secret);
      expect(row.signingSecretSealed).not.toContain(Buffer.from(secret, 'base64').toString('base64url'));
      expect(t.app.get(SecretBox).open(row.signingSecretSealed!, `api_key.signing_secret:${row.id}`)).toBe(secret);
      // Sealed under the key's id: the same ciphertext does not open as another key's.
      expect(() => t.app.get(SecretBox).open(row.signingSecretSealed!, `api_key.signing_secret:${admin.keyId}`)).toThrow();

      const outbox = await t.prisma.outboxEvent.findMany({ where: { orgId: admin.orgId } });
      const audit = await t.prisma.auditEvent.findMany({ where: { orgId: admin.orgId } });
      expect(JSON.stringify(outbox)).not.toContain(secret);
      expect(JSON.stringify(audit, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(secret);
    });

    it('ed25519: stores only the public JWK and hands out no secret', async () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const jwk = publicKey.export({ format: 'jwk' });
      const res = await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', admin.key)
        .send({ name: 'ed', scopes: ['releases:read'], requireSignedRequests: 'ed25519', signingPublicKey: { ...jwk, kid: 'laptop', use: 'sig' } });
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('signingSecret');
      expect(res.body).toMatchObject({ requireSignedRequests: 'ed25519', signingPublicKey: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } });
      const row = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.id } });
      expect(row).toMatchObject({ signatureAlg: 'ed25519', signingSecretSealed: null, signingPublicKey: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } });
    });

    it.each([
      ['ed25519 without a public key', { requireSignedRequests: 'ed25519' }, 'signingPublicKey'],
      ['a private JWK', { requireSignedRequests: 'ed25519', signingPublicKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) }, 'signingPublicKey'],
      ['an EC public key', { requireSignedRequests: 'ed25519', signingPublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) }, 'signingPublicKey'],
      ['a public key with hmac-sha256', { requireSignedRequests: 'hmac-sha256', signingPublicKey: generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) }, 'signingPublicKey'],
      ['a public key alone', { signingPublicKey: generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) }, 'signingPublicKey'],
      ['an unknown algorithm', { requireSignedRequests: 'rsa-pss-sha512' }, 'requireSignedRequests'],
      ['a public key that is a string', { requireSignedRequests: 'ed25519', signingPublicKey: 'ssh-ed25519 AAAA' }, 'signingPublicKey'],
    ])('refuses %s with 400, and creates nothing', async (_label, body, field) => {
      const before = await t.prisma.apiKey.count({ where: { orgId: admin.orgId } });
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'bad', scopes: ['releases:read'], ...body });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(JSON.stringify(res.body)).not.toMatch(/"d":/);
      expect(await t.prisma.apiKey.count({ where: { orgId: admin.orgId } })).toBe(before);
    });

    it('a key that requires signatures can only create keys that require them too', async () => {
      const key = await createSigningKey(t, admin, 'hmac-sha256');
      const unsigned = JSON.stringify({ name: 'escape', scopes: ['releases:read'] });
      const refused = await signed(t, key, { method: 'POST', path: '/v1/api-keys', body: unsigned });
      expect(refused.status).toBe(403);
      const allowed = await signed(t, key, { method: 'POST', path: '/v1/api-keys', body: JSON.stringify({ name: 'child', scopes: ['releases:read'], requireSignedRequests: 'hmac-sha256' }) });
      expect(allowed.status).toBe(201);
      expect(allowed.body.signingSecret).toEqual(expect.any(String));
    });

    it('rotating an hmac-sha256 key issues a new secret with the new key; the old pair works through the grace period', async () => {
      const old = await createSigningKey(t, admin, 'hmac-sha256');
      const res = await t.http.post(`/v1/api-keys/${old.keyId}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: 600 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ requireSignedRequests: 'hmac-sha256', rotatedFromId: old.keyId });
      expect(res.body.signingSecret).toEqual(expect.any(String));
      expect(res.body.signingSecret).not.toBe(old.signingSecret);
      const next: SigningKey = { ...old, keyId: res.body.id, key: res.body.key, signWith: Buffer.from(res.body.signingSecret, 'base64') };

      expect((await signed(t, next, { method: 'GET', path: '/v1/releases' })).status).toBe(200);
      expectSignatureRefused(await signed(t, next, { method: 'GET', path: '/v1/releases', signWith: old.signWith }), 'signature_invalid');
      expect((await signed(t, old, { method: 'GET', path: '/v1/releases' })).status).toBe(200);
    });

    it('rotating an ed25519 key keeps its public key: the client signs on with the same private key', async () => {
      const old = await createSigningKey(t, admin, 'ed25519');
      const res = await t.http.post(`/v1/api-keys/${old.keyId}/rotate`).set('X-API-Key', admin.key).send({});
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('signingSecret');
      expect(res.body).toMatchObject({ requireSignedRequests: 'ed25519', signingPublicKey: { kty: 'OKP', crv: 'Ed25519', x: old.publicJwk!.x } });
      const next: SigningKey = { ...old, keyId: res.body.id, key: res.body.key };
      expect((await signed(t, next, { method: 'GET', path: '/v1/releases' })).status).toBe(200);
    });

    it('a key without the requirement is not affected by signature fields, however broken', async () => {
      const res = await t.http.get('/v1/releases').set('X-API-Key', admin.key).set('Signature-Input', 'garbage(').set('Signature', 'sig1=:x:');
      expect(res.status).toBe(200);
    });
  });

  describe.each(ALGS)('requests signed with %s', (alg) => {
    let key: SigningKey;
    let other: SigningKey;

    beforeAll(async () => {
      key = await createSigningKey(t, admin, alg);
      other = await createSigningKey(t, admin, alg);
    });

    it('accepts a signed GET and a signed POST (201, the release exists)', async () => {
      expect((await signed(t, key, { method: 'GET', path: '/v1/releases?limit=5' })).status).toBe(200);
      const created = await signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE });
      expect(created.status).toBe(201);
      const fetched = await signed(t, key, { method: 'GET', path: `/v1/releases/${created.body.id}` });
      expect(fetched.status).toBe(200);
      expect(fetched.body.title).toBe('Signed and sealed');
    });

    it('accepts a POST without a body when content-digest is not covered', async () => {
      const created = await signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE });
      const submitted = await signed(t, key, { method: 'POST', path: `/v1/releases/${created.body.id}/submit` });
      // Incomplete release: the handler ran (422), so the signature was accepted.
      expect(submitted.status).toBe(422);
    });

    /** A POST /v1/releases made wrong in one way; must be refused with `reason` and create nothing. */
    const BAD_POSTS: Array<[string, () => Promise<Res>, string]> = [
      ['an unsigned request', () => send(t, key.key, 'POST', '/v1/releases', { Host: API_HOST, 'Content-Type': 'application/json' }, RELEASE), 'signature_missing'],
      ['Signature-Input without Signature', async () => {
        const { Signature: _dropped, ...headers } = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', headers, RELEASE);
      }, 'signature_missing'],
      ['the wrong label', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, label: 'sig2' }), 'signature_label'],
      ['@target-uri not covered', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, fields: ['@method', '@path', '@authority', 'content-digest'] }), 'signature_components'],
      ['content-digest not covered', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, fields: ['@method', '@target-uri', 'content-type'] }), 'signature_components'],
      ['@method not covered', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, fields: ['@target-uri', 'content-digest'] }), 'signature_components'],
      ['another key’s keyid', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, keyid: other.keyId, signWith: other.signWith }), 'signature_keyid'],
      ['no keyid', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, keyid: null }), 'signature_keyid'],
      ['a signature by another key under this keyid', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, signWith: other.signWith }), 'signature_invalid'],
      ['the other algorithm named', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, alg: alg === 'ed25519' ? 'hmac-sha256' : 'ed25519' }), 'signature_alg'],
      ['an altered method', async () => send(t, key.key, 'POST', '/v1/releases', await signedHeaders(key, { method: 'PUT', path: '/v1/releases', body: RELEASE }), RELEASE), 'signature_invalid'],
      ['an altered path', async () => send(t, key.key, 'POST', '/v1/releases', await signedHeaders(key, { method: 'POST', path: '/v1/api-keys', body: RELEASE }), RELEASE), 'signature_invalid'],
      ['an altered query', async () => send(t, key.key, 'POST', '/v1/releases?draft=1', await signedHeaders(key, { method: 'POST', path: '/v1/releases?draft=2', body: RELEASE }), RELEASE), 'signature_invalid'],
      ['an altered scheme', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, origin: `https://${API_HOST}` }), 'signature_invalid'],
      ['an altered host', async () => send(t, key.key, 'POST', '/v1/releases', { ...(await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE })), Host: 'evil.example' }, RELEASE), 'signature_invalid'],
      ['an altered body', async () => send(t, key.key, 'POST', '/v1/releases', await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE }), RELEASE.replace('sealed', 'forged')), 'content_digest_mismatch'],
      ['an altered body with its own digest', async () => {
        const forged = RELEASE.replace('sealed', 'forged');
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, 'Content-Digest': contentDigestOf(forged) }, forged);
      }, 'signature_invalid'],
      ['a stale created', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, created: new Date(Date.now() - 301_000) }), 'signature_expired'],
      ['a future created', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, created: new Date(Date.now() + 310_000) }), 'signature_future'],
      ['a passed expires', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, created: new Date(Date.now() - 10_000), expires: new Date(Date.now() - 2_000) }), 'signature_expired'],
      ['no nonce', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, nonce: null }), 'signature_malformed'],
      ['no created', async () => {
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, 'Signature-Input': headers['Signature-Input'].replace(/;created=\d+/, '') }, RELEASE);
      }, 'signature_malformed'],
      ['a malformed Signature-Input', async () => {
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, 'Signature-Input': headers['Signature-Input'].replace(')', '') }, RELEASE);
      }, 'signature_malformed'],
      ['a malformed Signature', async () => {
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, Signature: headers.Signature.replace(/:$/, '') }, RELEASE);
      }, 'signature_malformed'],
      ['a signature that is a string', async () => {
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, Signature: 'sig1="c2lnbmF0dXJl"' }, RELEASE);
      }, 'signature_malformed'],
      ['a signed but malformed Content-Digest', () => signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, headers: { 'Content-Digest': 'sha-256=X48E9q' } }), 'content_digest_malformed'],
      ['an oversized Signature-Input', async () => {
        const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
        return send(t, key.key, 'POST', '/v1/releases', { ...headers, 'Signature-Input': `${headers['Signature-Input']};tag="${'x'.repeat(6 * 1024)}"` }, RELEASE);
      }, 'signature_oversized'],
    ];

    it.each(BAD_POSTS)('refuses %s with 401 and creates nothing', async (_label, attempt, reason) => {
      const before = await releaseCount(admin.orgId);
      expectSignatureRefused(await attempt(), reason);
      expect(await releaseCount(admin.orgId)).toBe(before);
    });

    it('refuses a reused nonce (the replay changes nothing) and audits the refusal in the key’s organization', async () => {
      const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
      const first = await send(t, key.key, 'POST', '/v1/releases', headers, RELEASE);
      expect(first.status).toBe(201);
      const before = await releaseCount(admin.orgId);
      const replay = await send(t, key.key, 'POST', '/v1/releases', headers, RELEASE);
      expectSignatureRefused(replay, 'signature_replayed');
      expect(await releaseCount(admin.orgId)).toBe(before);

      // The same nonce in a new, validly signed request is a replay too.
      const nonce = /;nonce="([^"]+)"/.exec(headers['Signature-Input'])![1];
      expectSignatureRefused(await signed(t, key, { method: 'GET', path: '/v1/releases', nonce }), 'signature_replayed');

      const event = await t.prisma.auditEvent.findFirst({ where: { requestId: replay.headers['x-request-id'] as string } });
      expect(event).toMatchObject({ orgId: admin.orgId, actorType: 'api_key', actorId: key.keyId, outcome: 'denied', statusCode: 401, action: 'auth.authenticate' });
      expect(event!.changes).toMatchObject({ reason: 'signature_replayed' });
    });

    it('refuses an altered query on a GET', async () => {
      const headers = await signedHeaders(key, { method: 'GET', path: '/v1/releases?limit=5' });
      expectSignatureRefused(await send(t, key.key, 'GET', '/v1/releases?limit=50', headers), 'signature_invalid');
    });

    it('refuses headers past what Node accepts (431) before anything runs, and changes nothing', async () => {
      const before = await releaseCount(admin.orgId);
      const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
      const res = await send(t, key.key, 'POST', '/v1/releases', { ...headers, Signature: `${headers.Signature}, pad=:${'A'.repeat(20 * 1024)}:` }, RELEASE).catch((error: unknown) => error);
      expect((res as Res).status ?? 'connection closed').toBe(431);
      expect(await releaseCount(admin.orgId)).toBe(before);
    });
  });

  describe('tokens issued from a key that requires signatures', () => {
    let key: SigningKey;
    const form = (k: SigningKey) => `grant_type=client_credentials&client_id=${k.keyId}&client_secret=${k.key}`;

    beforeAll(async () => {
      key = await createSigningKey(t, admin, 'ed25519');
    });

    async function signedToken(k: SigningKey): Promise<string> {
      const body = form(k);
      const headers = await signedHeaders(k, { method: 'POST', path: '/v1/oauth/token', body, contentType: 'application/x-www-form-urlencoded' });
      const res = await t.http.post('/v1/oauth/token').set(headers).send(body);
      expect(res.status).toBe(200);
      return res.body.access_token as string;
    }

    it('the token request itself must be signed; unsigned or tampered, it gets no token', async () => {
      const unsigned = await t.http.post('/v1/oauth/token').type('form').send(form(key));
      expectSignatureRefused(unsigned, 'signature_missing');
      expect(unsigned.body).not.toHaveProperty('access_token');

      const body = form(key);
      const headers = await signedHeaders(key, { method: 'POST', path: '/v1/oauth/token', body, contentType: 'application/x-www-form-urlencoded' });
      const narrowed = `${body}&scope=releases:read`;
      const tampered = await t.http.post('/v1/oauth/token').set(headers).send(narrowed);
      expectSignatureRefused(tampered, 'content_digest_mismatch');

      expect(await signedToken(key)).toEqual(expect.any(String));
    });

    it('every request with such a token must be signed, with the key’s id as keyid', async () => {
      const token = await signedToken(key);
      const bearer = `Bearer ${token}`;
      expectSignatureRefused(await t.http.get('/v1/releases').set('Authorization', bearer), 'signature_missing');
      expect((await signed(t, key, { method: 'GET', path: '/v1/releases', credential: bearer })).status).toBe(200);

      const before = await releaseCount(admin.orgId);
      const created = await signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, credential: bearer });
      expect(created.status).toBe(201);
      expect(await releaseCount(admin.orgId)).toBe(before + 1);

      const tokenId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string;
      expectSignatureRefused(await signed(t, key, { method: 'GET', path: '/v1/releases', credential: bearer, keyid: tokenId }), 'signature_keyid');
      expectSignatureRefused(await signed(t, key, { method: 'POST', path: '/v1/releases', body: RELEASE, credential: bearer, fields: ['@method', '@target-uri'] }), 'signature_components');
      expect(await releaseCount(admin.orgId)).toBe(before + 1);
    });

    it('a nonce used with the key is spent for its tokens too', async () => {
      const token = await signedToken(key);
      const nonce = randomUUID();
      expect((await signed(t, key, { method: 'GET', path: '/v1/releases', nonce })).status).toBe(200);
      expectSignatureRefused(await signed(t, key, { method: 'GET', path: '/v1/releases', nonce, credential: `Bearer ${token}` }), 'signature_replayed');
    });
  });
});
