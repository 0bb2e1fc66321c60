// Nothing secret ever enters an audit row (API guide: Audit trail, issue 9): after a full
// scenario — keys issued, replayed, rotated, exchanged for tokens, tokens
// used, revoked keys and credentials in the query string refused — the whole
// audit_events table, every column cast to text, holds none of the keys or
// tokens issued. A second scenario covers credentials a client puts where an
// id or a parameter name belongs, which the trail must not keep either.
import { randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

interface Secret {
  label: string;
  value: string;
}

describe('no secret in the audit trail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** Audit events recording the request: its own, or its address's counted anonymous refusals naming it. */
  function auditedRefusals(requestId: string): Promise<number> {
    return t.prisma.auditEvent.count({
      where: { OR: [{ requestId, orgId: { not: null } }, { orgId: null, changes: { path: ['requestIds'], array_contains: [requestId] } }] },
    });
  }

  /** Rows of audit_events whose text form holds a secret, whole or by its random middle (a truncated copy leaks too). */
  async function leaks(secrets: Secret[]): Promise<string[]> {
    const found: string[] = [];
    for (const { label, value } of secrets) {
      const parts = value.split('.');
      const fragment = parts.length === 3 ? parts[2] : value.slice(9, 33); // a JWT's signature; a key's random part
      expect(fragment.length).toBeGreaterThanOrEqual(20);
      const rows = await t.prisma.$queryRaw<Array<{ action: string; row: string }>>`
        SELECT a.action, a::text AS row FROM audit_events a WHERE strpos(a::text, ${value}) > 0 OR strpos(a::text, ${fragment}) > 0`;
      for (const row of rows) found.push(`${label} → ${row.action}: ${row.row.slice(0, 300)}`);
    }
    return found;
  }

  async function issueKey(admin: { key: string }, scopes: string[], idempotencyKey?: string): Promise<{ id: string; key: string }> {
    const req = t.http.post('/v1/api-keys').set('X-API-Key', admin.key);
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    const res = await req.send({ name: `key ${randomUUID().slice(0, 6)}`, scopes });
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key };
  }

  async function token(form: Record<string, string>, json = false): Promise<string> {
    const req = t.http.post('/v1/oauth/token');
    const res = await (json ? req.send(form) : req.type('form').send(form));
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  it('keeps none of the keys and tokens of a full scenario, nor those of refused attempts', async () => {
    const admin: OrgWithKey = await createOrgWithKey(t);
    const secrets: Secret[] = [{ label: 'bootstrap key', value: admin.key }];
    const before = await t.prisma.auditEvent.count();

    // Issue, with an Idempotency-Key, and replay (the replay's body holds the key again).
    const idem = `idem-${randomUUID()}`;
    const ops = await issueKey(admin, ['keys:read', 'keys:write', 'releases:read'], idem);
    secrets.push({ label: 'issued key', value: ops.key });
    const replay = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).set('Idempotency-Key', idem).send({});
    expect(replay.status).toBe(422); // other body: refused, and audited
    const victim = await issueKey(ops, ['keys:read']);
    secrets.push({ label: 'second issued key', value: victim.key });

    // Rotate (a new secret), with no grace: the old one stops at once.
    const rotated = await t.http.post(`/v1/api-keys/${ops.id}/rotate`).set('X-API-Key', admin.key).send({ gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    const successor = { id: rotated.body.id as string, key: rotated.body.key as string };
    secrets.push({ label: 'rotated key', value: successor.key });

    // Tokens, by form, JSON and HTTP Basic; one narrowed.
    const formToken = await token({ grant_type: 'client_credentials', client_id: successor.id, client_secret: successor.key });
    const jsonToken = await token({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: admin.key, scope: 'keys:write keys:read' }, true);
    const basic = await t.http
      .post('/v1/oauth/token')
      .type('form')
      .set('Authorization', `Basic ${Buffer.from(`${victim.id}:${victim.key}`).toString('base64')}`)
      .send({ grant_type: 'client_credentials' });
    expect(basic.status).toBe(200);
    secrets.push({ label: 'form token', value: formToken }, { label: 'JSON token', value: jsonToken }, { label: 'Basic token', value: basic.body.access_token });

    // A token used for a change, and to revoke.
    const byToken = await t.http.post('/v1/api-keys').set('Authorization', `Bearer ${jsonToken}`).send({ name: 'by token', scopes: ['keys:read'] });
    expect(byToken.status).toBe(201);
    secrets.push({ label: 'key issued to a token', value: byToken.body.key });
    await t.http.delete(`/v1/api-keys/${victim.id}`).set('Authorization', `Bearer ${jsonToken}`).expect(204);

    // Refused attempts carrying real secrets.
    const refused = [
      await t.http.get('/v1/api-keys').set('X-API-Key', victim.key), // revoked
      await t.http.post('/v1/api-keys').set('X-API-Key', victim.key).send({ name: 'x', scopes: ['keys:read'] }), // revoked, mutating
      await t.http.get('/v1/api-keys').set('X-API-Key', ops.key), // rotated away (grace 0)
      await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${basic.body.access_token}`), // token of a revoked key
      await t.http.get(`/v1/api-keys?api_key=${admin.key}`),
      await t.http.post(`/v1/api-keys?client_secret=${successor.key}`).set('X-API-Key', admin.key).send({ name: 'x', scopes: ['keys:read'] }),
      await t.http.get(`/v1/api-keys?access_token=${formToken}`),
      await t.http.get('/v1/api-keys').set('Authorization', `Bearer ${admin.key}`), // a key as a token
      await t.http.get('/v1/api-keys').set('X-API-Key', formToken), // a token as a key
      await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: admin.keyId, client_secret: successor.key }), // someone else's key
      await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: victim.id, client_secret: victim.key }), // revoked
      await t.http.post('/v1/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: successor.id, client_secret: successor.key, scope: 'audit:read' }), // invalid_scope
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 400]);
    await t.flushAudit();
    // Every refusal was recorded (the search below is over real rows): in its organization, or counted with its address's.
    for (const res of refused) expect(await auditedRefusals(res.headers['x-request-id'] as string)).toBe(1);

    expect(await t.prisma.auditEvent.count()).toBeGreaterThan(before + refused.length);
    expect(await leaks(secrets)).toEqual([]);
  });

  it('keeps no key that a client put where an id, a path segment or a parameter name belongs', async () => {
    const admin = await createOrgWithKey(t);
    const other = await issueKey(admin, ['keys:read', 'releases:read']);
    const readOnly = await issueKey(admin, ['releases:read']);
    const secrets: Secret[] = [
      { label: 'admin key', value: admin.key },
      { label: 'other key', value: other.key },
    ];

    const mistakes = [
      // "Revoke this key" with the key instead of its id (an incident-response slip).
      await t.http.delete(`/v1/api-keys/${other.key}`).set('X-API-Key', admin.key),
      await t.http.post(`/v1/api-keys/${other.key}/rotate`).set('X-API-Key', admin.key).send({}),
      // The same, by a credential lacking the scope: refused by the guard, path recorded.
      await t.http.get(`/v1/api-keys/${other.key}`).set('X-API-Key', readOnly.key),
      // A token request that forgot "client_secret=": the key arrives as a parameter name.
      await t.http.post('/v1/oauth/token').type('form').send(`grant_type=client_credentials&client_id=${admin.keyId}&${admin.key}`),
    ];
    expect(mistakes.map((r) => r.status)).toEqual([404, 404, 403, 401]);
    await t.flushAudit();
    for (const res of mistakes) expect(await auditedRefusals(res.headers['x-request-id'] as string)).toBe(1);
    // Nothing was revoked or rotated by them.
    expect(await t.prisma.apiKey.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ revokedAt: null, expiresAt: null });

    expect(await leaks(secrets)).toEqual([]);
  });

  it('keeps no credential pasted into an audited value, at any depth, nor in the User-Agent or request id', async () => {
    const admin = await createOrgWithKey(t);
    const other = await issueKey(admin, ['keys:read']);
    // A JWT from elsewhere (ours are longer than a title may be).
    const jwt = sign({ sub: 'someone', scope: 'admin' }, randomUUID(), { algorithm: 'HS256' });
    const webhookSecret = `whsec_${randomUUID().replace(/-/g, '')}`;
    const bearer = `Bearer ${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
    const secrets: Secret[] = [
      { label: 'key in a title', value: admin.key },
      { label: 'key in an artist', value: other.key },
      { label: 'JWT in a title', value: jwt },
      { label: 'webhook secret in a label and a key name', value: webhookSecret },
      { label: 'bearer in a User-Agent', value: bearer.slice('Bearer '.length) },
    ];

    const release = await t.http
      .post('/v1/releases')
      .set('X-API-Key', admin.key)
      .set('User-Agent', `sync-tool/1.0 (${bearer})`)
      .set('X-Request-Id', `req-${other.key}`)
      .send({ title: `Summer ${admin.key} / ${jwt}`, artists: ['The Band', `feat. ${other.key}`], label: `Label ${webhookSecret}` });
    expect(release.status).toBe(201);
    const named = await t.http.post('/v1/api-keys').set('X-API-Key', admin.key).send({ name: `ci ${webhookSecret}`.slice(0, 100), scopes: ['keys:read'] });
    expect(named.status).toBe(201);

    // The values were recorded, with the credential cut out of them.
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { orgId: admin.orgId, action: 'release.create' } });
    expect(event.changes).toMatchObject({ values: { title: 'Summer [REDACTED] / [REDACTED]', artists: ['The Band', 'feat. [REDACTED]'], label: 'Label [REDACTED]' } });
    expect(event.userAgent).toBe('sync-tool/1.0 ([REDACTED])');
    expect(await leaks(secrets)).toEqual([]);
    // The chain still verifies: redaction happens before the event is hashed.
    expect((await t.http.get('/v1/audit-events/verify').set('X-API-Key', admin.key).expect(200)).body).toMatchObject({ ok: true });
  });
});