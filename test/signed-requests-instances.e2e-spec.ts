// Two API instances on one database (API guide: Signed requests): a nonce spent on one is
// refused on the other, because the nonce store is the shared Postgres table,
// not process memory.
import { randomUUID } from 'node:crypto';
import { RequestNoncePurge } from '../src/platform/auth/signatures/request-nonce-store';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { createSigningKey, expectSignatureRefused, RELEASE, send, signed, signedHeaders, SigningKey } from './signed-requests.helpers';

describe('Signed requests across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: OrgWithKey;
  let key: SigningKey;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ database: a.database });
    admin = await createOrgWithKey(a);
    key = await createSigningKey(a, admin, 'hmac-sha256');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses on B a request whose nonce A has accepted, and creates nothing there', async () => {
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/releases', body: RELEASE });
    expect((await send(a, key.key, 'POST', '/v1/releases', headers, RELEASE)).status).toBe(201);
    const count = await b.prisma.release.count({ where: { orgId: admin.orgId } });
    expectSignatureRefused(await send(b, key.key, 'POST', '/v1/releases', headers, RELEASE), 'signature_replayed');
    expect(await b.prisma.release.count({ where: { orgId: admin.orgId } })).toBe(count);
  });

  it('lets exactly one of concurrent uses of a nonce through, across both instances', async () => {
    const nonce = randomUUID();
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => signed(i % 2 ? b : a, key, { method: 'GET', path: '/v1/releases', nonce })),
    );
    expect(attempts.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of attempts.filter((r) => r.status !== 200)) expectSignatureRefused(res, 'signature_replayed');
  });

  it('keeps each nonce for 10 minutes, and the purge removes only expired ones', async () => {
    const nonce = randomUUID();
    expect((await signed(b, key, { method: 'GET', path: '/v1/releases', nonce })).status).toBe(200);
    const row = await a.prisma.requestNonce.findUniqueOrThrow({ where: { keyId_nonce: { keyId: key.keyId, nonce } } });
    const ttl = row.expiresAt.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);

    const stale = randomUUID();
    await a.prisma.requestNonce.create({ data: { keyId: key.keyId, nonce: stale, expiresAt: new Date(Date.now() - 1000) } });
    // An expired row not yet purged does not count as a use.
    expect((await signed(a, key, { method: 'GET', path: '/v1/releases', nonce: stale })).status).toBe(200);
    await a.prisma.requestNonce.update({ where: { keyId_nonce: { keyId: key.keyId, nonce: stale } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await a.app.get(RequestNoncePurge).run()).toBeGreaterThanOrEqual(1);
    expect(await a.prisma.requestNonce.count({ where: { keyId: key.keyId, nonce: stale } })).toBe(0);
    expect(await a.prisma.requestNonce.count({ where: { keyId: key.keyId, nonce } })).toBe(1);
  });
});
