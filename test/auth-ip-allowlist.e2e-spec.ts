// Per-key IP allowlists (API guide: API keys and rotation `allowedIps`) behind a trusted proxy:
// Express honours X-Forwarded-For only for hops in TRUSTED_PROXIES (here the
// loopback the test client connects from), so the client address is the
// right-most untrusted entry. (Without TRUSTED_PROXIES the header is ignored:
// see auth-api-keys.e2e-spec.ts.)
import type supertest from 'supertest';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

type Res = supertest.Response;

const PROBLEM_JSON = /^application\/problem\+json/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectIpRefused(res: Res): void {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.body).toMatchObject({ status: 403, title: 'Forbidden', reason: 'ip_not_allowed' });
  expect(res.body.missingScopes).toBeUndefined();
}

describe('API key IP allowlists (TRUSTED_PROXIES set)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUSTED_PROXIES: '127.0.0.1,::1' } });
  });
  afterAll(() => t.close());

  async function keyWith(admin: OrgWithKey, body: Record<string, unknown>): Promise<OrgWithKey> {
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'ip key', scopes: ['keys:read', 'keys:write'], ...body });
    expect(res.status).toBe(201);
    return { orgId: admin.orgId, keyId: res.body.id as string, key: res.body.key as string };
  }

  const from = (ip: string, key: string) => t.http.get('/v1/api-keys').set('X-API-Key', key).set('X-Forwarded-For', ip);

  async function orgSnapshot(orgId: string): Promise<unknown> {
    const keys = await t.prisma.apiKey.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const events = await t.prisma.outboxEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    // lastUsedAt and dispatchedAt are written in the background (last-use tracker, webhook delivery).
    return { keys: keys.map(({ lastUsedAt: _used, ...rest }) => rest), events: events.map(({ dispatchedAt: _dispatched, ...rest }) => rest) };
  }

  it('stores the allowlist in canonical form', async () => {
    const admin = await createOrgWithKey(t);
    const res = await t.http
      .post('/v1/api-keys')
      .set('X-API-Key', admin.key)
      .send({ name: 'ip key', scopes: ['keys:read'], allowedIps: ['203.0.113.5', '2001:DB8:0:0::/32', '::ffff:198.51.100.0/120'] })
      .expect(201);
    expect(res.body.allowedIps).toEqual(['203.0.113.5/32', '2001:db8::/32', '198.51.100.0/24']);
  });

  it('enforces an IPv4 CIDR: inside → 200, outside → 403 problem+json', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    await from('203.0.113.7', key.key).expect(200);
    await from('203.0.113.255', key.key).expect(200);
    await from('::ffff:203.0.113.7', key.key).expect(200); // the same IPv4 client, written IPv4-mapped
    expectIpRefused(await from('203.0.114.1', key.key));
    expectIpRefused(await from('198.51.100.1', key.key));
    expectIpRefused(await from('2001:db8::1', key.key));
  });

  it('enforces an IPv6 CIDR', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['2001:db8:abcd::/48'] });
    await from('2001:db8:abcd:12::1', key.key).expect(200);
    await from('2001:DB8:ABCD:FFFF:FFFF:FFFF:FFFF:FFFF', key.key).expect(200);
    expectIpRefused(await from('2001:db8:abce::1', key.key));
    expectIpRefused(await from('203.0.113.7', key.key));
  });

  it('allows any entry of a mixed v4/v6 list', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24', '2001:db8::/32'] });
    await from('203.0.113.9', key.key).expect(200);
    await from('2001:db8::9', key.key).expect(200);
    expectIpRefused(await from('192.0.2.1', key.key));
  });

  it('takes the address the trusted proxy saw, not one the client prepended', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    // The attacker (198.51.100.1) sends "X-Forwarded-For: 203.0.113.7"; the proxy appends what it saw.
    expectIpRefused(await from('203.0.113.7, 198.51.100.1', key.key));
    await from('198.51.100.1, 203.0.113.7', key.key).expect(200);
  });

  it('refuses a write from outside the allowlist and writes nothing', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    const before = await orgSnapshot(admin.orgId);
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', key.key).set('X-Forwarded-For', '198.51.100.1').send({ name: 'x', scopes: ['keys:read'] });
    expectIpRefused(res);
    expect(await orgSnapshot(admin.orgId)).toEqual(before);
  });

  it('applies to the token endpoint and to tokens: issued and used only from inside', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    const form = { grant_type: 'client_credentials', client_id: key.keyId, client_secret: key.key };
    const outside = await t.http.post('/v1/oauth/token').set('X-Forwarded-For', '198.51.100.1').type('form').send(form);
    expect(outside.status).toBe(401);
    expect(outside.body.error).toBe('invalid_client');
    const inside = await t.http.post('/v1/oauth/token').set('X-Forwarded-For', '203.0.113.7').type('form').send(form).expect(200);
    const token = inside.body.access_token as string;
    await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '203.0.113.8').expect(200);
    expectIpRefused(await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '198.51.100.1'));
  });

  it('keeps the allowlist when the key is rotated', async () => {
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    const rotated = await t.http.post(`/v1/api-keys/${key.keyId}/rotate`).set('X-API-Key', admin.key).send({}).expect(201);
    expect(rotated.body.allowedIps).toEqual(['203.0.113.0/24']);
    expectIpRefused(await from('198.51.100.1', rotated.body.key as string));
    await from('203.0.113.7', rotated.body.key as string).expect(200);
  });

  it('audits a use from outside the allowlist, visibly to the key’s organization', async () => {
    // API guide: API keys and rotation: "→ 403 and an audit entry". The key was identified, so the
    // entry belongs to its organization (GET /v1/audit-events is per org) and
    // names the key; an anonymous, org-less entry is invisible to its owner.
    const admin = await createOrgWithKey(t);
    const key = await keyWith(admin, { allowedIps: ['203.0.113.0/24'] });
    const res = await from('198.51.100.77', key.key);
    expectIpRefused(res);
    const requestId = res.headers['x-request-id'] as string;
    let rows = await t.prisma.auditEvent.findMany({ where: { requestId } });
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await sleep(20);
      rows = await t.prisma.auditEvent.findMany({ where: { requestId } });
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'denied', statusCode: 403, ip: '198.51.100.77' });
    const listed = await t.http.get('/v1/audit-events?outcome=denied&limit=100').set('X-API-Key', admin.key).set('X-Forwarded-For', '203.0.113.1').expect(200);
    const entry = (listed.body.data as Array<{ requestId: string }>).find((e) => e.requestId === requestId);
    expect(entry).toMatchObject({ orgId: admin.orgId, actor: { type: 'api_key', id: key.keyId }, outcome: 'denied', statusCode: 403 });
  });

  it.each([
    ['host bits set', '10.0.0.1/8'],
    ['an octet over 255', '300.1.1.1'],
    ['an IPv4 prefix over 32', '10.0.0.0/33'],
    ['an IPv6 prefix over 128', '2001:db8::/129'],
    ['a name', 'office-network'],
    ['a leading-zero (octal-looking) octet', '010.0.0.1'],
    ['a short inet_aton form', '10.1'],
    ['a hexadecimal address', '0x0a000001'],
    ['an IPv6 zone', 'fe80::1%eth0'],
    ['an empty string', ''],
    ['a negative prefix', '10.0.0.0/-1'],
    ['a prefix with a leading zero', '10.0.0.0/08'],
    ['two CIDRs in one entry', '10.0.0.0/8,192.168.0.0/16'],
    ['surrounding spaces', ' 10.0.0.0/8 '],
  ])('refuses an allowlist entry with %s: 400 naming it, no key created', async (_label, entry) => {
    const admin = await createOrgWithKey(t);
    const before = await orgSnapshot(admin.orgId);
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'x', scopes: ['keys:read'], allowedIps: ['192.0.2.0/24', entry] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body.errors).toEqual([{ field: 'allowedIps', message: expect.stringContaining(JSON.stringify(entry)) }]);
    expect(res.body.key).toBeUndefined();
    expect(await orgSnapshot(admin.orgId)).toEqual(before);
  });

  it('refuses non-string and oversized allowlists with 400', async () => {
    const admin = await createOrgWithKey(t);
    const before = await orgSnapshot(admin.orgId);
    for (const allowedIps of [[42], '10.0.0.0/8', Array.from({ length: 51 }, (_, i) => `10.0.${i}.0/24`)]) {
      const res = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: 'x', scopes: ['keys:read'], allowedIps });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'allowedIps' })]));
    }
    expect(await orgSnapshot(admin.orgId)).toEqual(before);
  });
});
