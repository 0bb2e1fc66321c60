// OWASP API3:2023 Broken Object Property Level Authorization. Mass
// assignment: on every documented JSON write, a property the client may not
// set (id, orgId, status, version, createdAt, keyHash, secret, …) — at the
// top level, nested, or through __proto__ — is refused with 400 naming it, and
// nothing is written (API guide: Conventions). Excessive exposure: no response ever carries
// a key hash, a sealed or current secret outside the one response that hands
// it out, an internal column or a server path; the audit trail records no
// secret; stored filenames are sanitised before they are shown back.
import { newId } from '../src/platform/ids';
import { wav } from './helpers/audio-fixtures';
import { fetchOpenApi, fillPath, OpenApiDocument, Operation, operationsOf, sampleOf } from './helpers/openapi-operations';
import { partnerCallbackHeaders } from './helpers/partner-callback-headers';
import { expectProblemJson } from './helpers/problem-json';
import { PUBLIC_WEBHOOK_URL, SeededTenant, seedTenant, startSecurityApp } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint } from './helpers/table-fingerprint';
import type { TestApp } from './helpers/test-app';

/** Properties that belong to the server: never settable by a client on any route. */
const SERVER_OWNED: Record<string, unknown> = {
  id: 'rel_01JF3Z00000000000000000000',
  orgId: 'org_01JF3Z00000000000000000000',
  status: 'live',
  version: 42,
  createdAt: '2000-01-01T00:00:00.000Z',
  updatedAt: '2000-01-01T00:00:00.000Z',
  keyHash: 'AAAA',
  prefix: 'mpk_live_AAAAAA',
  revokedAt: null,
  lastUsedAt: null,
  rotatedFromId: 'key_01JF3Z00000000000000000000',
  secret: 'whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB',
  secretSealed: 'x',
  disabledReason: null,
  statusReason: 'approved by me',
  audioUploadId: 'upl_01JF3Z00000000000000000000',
  sha256: '0'.repeat(64),
};

/** Field names no response may contain, at any depth. */
const NEVER_EXPOSED = [
  // secrets at rest
  'keyHash', 'key_hash', 'secretSealed', 'secret_sealed', 'previousSecretSealed', 'signingSecretSealed', 'signingSecret', 'pepper', 'password',
  // bookkeeping columns of the delivery, idempotency and key tables
  'createdById', 'failingSince', 'lockedUntil', 'fingerprint', 'responseHeaders', 'credentialId', 'mode', 'body',
  // where files live on the server
  'storagePath', 'tempPath', 'path',
];

function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => keysDeep(item, out));
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      out.add(key);
      keysDeep(inner, out);
    }
  }
  return out;
}

describe('OWASP API3 — broken object property level authorization', () => {
  let t: TestApp;
  let us: SeededTenant;
  let doc: OpenApiDocument;
  const issuedSecrets: string[] = [];

  beforeAll(async () => {
    t = await startSecurityApp();
    us = await seedTenant(t, 'bopla');
    doc = await fetchOpenApi(t);
    issuedSecrets.push(us.key, us.spareKey, us.endpointSecret, us.partnerSecret);
  });
  afterAll(() => t.close());

  function ownIds(op: Operation): Record<string, string> {
    const byRoute = op.path.startsWith('/v1/api-keys') ? us.spareKeyId : op.path.startsWith('/v1/webhook-endpoints') ? us.endpointId : op.path.startsWith('/v1/uploads') ? us.uploadId : op.path.startsWith('/v1/webhook-messages') ? us.messageId : us.releaseId;
    return { id: byRoute, releaseId: us.emptyReleaseId, trackId: us.trackId, partnerId: us.partnerId };
  }

  /** The authenticated JSON writes of the document: the routes a mass-assignment attempt goes through. */
  function jsonWrites(): Operation[] {
    return operationsOf(doc).filter((op) => op.method !== 'get' && op.body?.mediaType === 'application/json' && op.scopes.length > 0);
  }

  function validBody(op: Operation): Record<string, unknown> {
    const body = sampleOf(doc, op.body!.schema) as Record<string, unknown>;
    if (op.path === '/v1/webhook-endpoints') body.url = PUBLIC_WEBHOOK_URL;
    if (op.path === '/v1/api-keys') body.scopes = ['releases:read'];
    if (op.path.endsWith('/audio')) body.uploadId = us.uploadId;
    return body;
  }

  it('finds the JSON write routes in the OpenAPI document', () => {
    expect(jsonWrites().map((op) => `${op.method} ${op.path}`).length).toBeGreaterThanOrEqual(10);
  });

  it('refuses every server-owned property on every JSON write route with 400 naming it, and writes nothing', async () => {
    const outcomes: string[] = [];
    for (const op of jsonWrites()) {
      // Matched routes only: the track routes need the track's own release.
      const ids = ownIds(op);
      if (op.path.includes('{trackId}')) ids.releaseId = us.releaseId;
      for (const [property, value] of Object.entries(SERVER_OWNED)) {
        if (op.body!.schema.properties?.[property]) continue; // a client field on this route (e.g. status on /status)
        const before = await tableFingerprint(t);
        const res = await t.http[op.method](fillPath(op.path, ids)).set('X-API-Key', us.key).send({ ...validBody(op), [property]: value });
        const fields = (res.body?.errors ?? []).map((e: { field: string }) => e.field);
        const changed = fingerprintChanges(before, await tableFingerprint(t));
        if (res.status !== 400 || !fields.includes(property) || changed.length) {
          outcomes.push(`${op.method.toUpperCase()} ${op.path} + ${property}: ${res.status} ${JSON.stringify(fields)} changed ${JSON.stringify(changed)}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
  });

  it('refuses server-owned properties nested inside a track’s contributors', async () => {
    for (const extra of [{ id: 'ctb_01JF3Z00000000000000000000' }, { trackId: us.trackId }, { orgId: 'org_x' }]) {
      const res = await t.http
        .post(`/v1/releases/${us.releaseId}/tracks`)
        .set('X-API-Key', us.key)
        .send({ title: 'Nested', contributors: [{ name: 'Ann', role: 'artist', ...extra }] });
      const body = expectProblemJson(res, 400);
      expect(body.errors.map((e: { field: string }) => e.field)).toEqual([`contributors.0.${Object.keys(extra)[0]}`]);
    }
  });

  it.each([
    ['__proto__', 'releases', '{"title":"P","artists":["A"],"__proto__":{"isAdmin":true}}'],
    ['constructor', 'releases', '{"title":"P","artists":["A"],"constructor":{"prototype":{"isAdmin":true}}}'],
    ['a nested __proto__', 'tracks', '{"title":"P","contributors":[{"name":"A","role":"artist","__proto__":{"isAdmin":true}}]}'],
  ])('refuses a body with %s as an unknown property like any other, and leaves Object.prototype alone', async (_name, route, raw) => {
    const path = route === 'releases' ? '/v1/releases' : `/v1/releases/${us.emptyReleaseId}/tracks`;
    const before = await tableFingerprint(t);
    const res = await t.http.post(path).set('X-API-Key', us.key).set('Content-Type', 'application/json').send(raw);
    expectProblemJson(res, 400);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('sees a write that is accepted, down to one column of one row (the control of every "writes nothing" above)', async () => {
    const before = await tableFingerprint(t);
    const res = await t.http.post('/v1/releases').set('X-API-Key', us.key).send({ title: 'Control', artists: ['A'] });
    expect(res.status).toBe(201);
    const created = await tableFingerprint(t);
    expect(fingerprintChanges(before, created)).toEqual(expect.arrayContaining([expect.stringMatching(/^releases \(\d+ → \d+ rows\)$/)]));
    // Same row count, one title: only the digest can tell.
    await t.prisma.release.update({ where: { id: res.body.id }, data: { title: 'Control, renamed' } });
    expect(fingerprintChanges(created, await tableFingerprint(t))).toEqual([expect.stringMatching(/^releases \((\d+) → \1 rows\)$/)]);
  });

  it('refuses extra properties in a partner callback after the signature is checked', async () => {
    const body = JSON.stringify({ type: 'release.rejected', data: { releaseId: us.releaseId, status: 'live' }, orgId: 'org_x' });
    const id = `bopla_${newId('evt')}`;
    const before = await tableFingerprint(t);
    const res = await t.http
      .post(`/v1/partners/${us.partnerId}/callbacks`)
      .set({ 'Content-Type': 'application/json', ...partnerCallbackHeaders(us.partnerSecret, id, body) })
      .send(body);
    const fields = expectProblemJson(res, 400).errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['data.status', 'orgId']);
    expect(fingerprintChanges(before, await tableFingerprint(t))).toEqual([]);
  });

  describe('what responses expose', () => {
    async function everyReadableResponse(): Promise<Array<[string, unknown, string]>> {
      const paths = [
        '/v1/releases',
        `/v1/releases/${us.releaseId}`,
        `/v1/releases/${us.releaseId}/tracks/${us.trackId}`,
        '/v1/uploads',
        `/v1/uploads/${us.uploadId}`,
        '/v1/api-keys',
        `/v1/api-keys/${us.keyId}`,
        `/v1/api-keys/${us.spareKeyId}`,
        '/v1/webhook-endpoints',
        `/v1/webhook-endpoints/${us.endpointId}`,
        `/v1/webhook-endpoints/${us.endpointId}/deliveries`,
        '/v1/audit-events?limit=100',
        '/v1/audit-events/verify',
      ];
      const out: Array<[string, unknown, string]> = [];
      for (const path of paths) {
        const res = await t.http.get(path).set('X-API-Key', us.key).expect(200);
        out.push([path, res.body, res.text]);
      }
      return out;
    }

    it('never returns a key hash, a sealed secret, a secret or a server path when reading', async () => {
      // Rotations first, so their secrets are among those that must not come back.
      const rotated = await t.http.post(`/v1/api-keys/${us.spareKeyId}/rotate`).set('X-API-Key', us.key).send({ gracePeriodSeconds: 3600 }).expect(201);
      const resecret = await t.http.post(`/v1/webhook-endpoints/${us.endpointId}/rotate-secret`).set('X-API-Key', us.key).send({}).expect(201);
      issuedSecrets.push(rotated.body.key, resecret.body.secret);
      for (const [path, body, text] of await everyReadableResponse()) {
        const exposed = [...keysDeep(body)].filter((key) => NEVER_EXPOSED.includes(key));
        expect({ path, exposed }).toEqual({ path, exposed: [] });
        expect({ path, fullKey: /mpk_(live|test)_[0-9A-Za-z]{40}/.test(text), webhookSecret: text.includes('whsec_') }).toEqual({ path, fullKey: false, webhookSecret: false });
        for (const secret of issuedSecrets) expect(text.includes(secret)).toBe(false);
        expect(text).not.toContain(t.env.UPLOAD_DIR);
        expect(text).not.toContain(t.env.API_KEY_PEPPER);
      }
      const keys = await t.http.get('/v1/api-keys').set('X-API-Key', us.key).expect(200);
      for (const key of keys.body.data) expect(key.prefix).toMatch(/^mpk_(live|test)_[0-9A-Za-z]{6}$/);
    });

    it('shows a secret only in the response that creates it', async () => {
      const created = await t.http.post('/v1/api-keys').set('X-API-Key', us.key).send({ name: 'shown once', scopes: ['releases:read'] }).expect(201);
      expect(created.body.key).toMatch(/^mpk_live_/);
      const endpoint = await t.http.post('/v1/webhook-endpoints').set('X-API-Key', us.key).send({ url: PUBLIC_WEBHOOK_URL, events: ['*'] }).expect(201);
      expect(endpoint.body.secret).toMatch(/^whsec_/);
      issuedSecrets.push(created.body.key, endpoint.body.secret);
      const again = await t.http.get(`/v1/api-keys/${created.body.id}`).set('X-API-Key', us.key).expect(200);
      expect(again.body.key).toBeUndefined();
      const endpointAgain = await t.http.get(`/v1/webhook-endpoints/${endpoint.body.id}`).set('X-API-Key', us.key).expect(200);
      expect(endpointAgain.body.secret).toBeUndefined();
      // The secret-bearing answers of writes are the only ones: a PATCH answers without it.
      const patched = await t.http.patch(`/v1/webhook-endpoints/${endpoint.body.id}`).set('X-API-Key', us.key).send({ description: 'x' }).expect(200);
      expect(patched.text).not.toContain(endpoint.body.secret);
      expect(patched.body.secret).toBeUndefined();
    });

    it('records no secret in the audit trail or in the stored webhook events', async () => {
      const trail = await t.prisma.auditEvent.findMany({ where: { orgId: us.orgId } });
      const events = await t.prisma.outboxEvent.findMany({ where: { orgId: us.orgId } });
      const messages = await t.prisma.webhookMessage.findMany({ where: { orgId: us.orgId } });
      const stored = JSON.stringify([trail, events, messages], (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
      for (const secret of issuedSecrets) expect(stored.includes(secret)).toBe(false);
      expect(stored).not.toMatch(/mpk_(live|test)_[0-9A-Za-z]{40}/);
    });
  });

  describe('filenames shown back to clients', () => {
    it.each([
      ['a path', '../../../../etc/passwd.wav', 'passwd.wav'],
      ['a Windows path', '..\\..\\boot.ini.wav', 'boot.ini.wav'],
      ['a right-to-left override', 'evil\u202evaw.exe', 'evilvaw.exe'],
      ['quotes and separators', 'a";b=c;.wav', 'a_;b=c;.wav'],
      ['a device name', 'nul.wav', '_nul.wav'],
    ])('stores a filename with %s sanitised, and downloads it without header injection', async (_name, filename, expected) => {
      const res = await t.http.post('/v1/uploads').set('X-API-Key', us.key).attach('file', wav({ durationMs: 1000 }), { filename, contentType: 'audio/wav' }).expect(201);
      expect(res.body.filename).toBe(expected);
      const download = await t.http.get(`/v1/uploads/${res.body.id}/content`).set('X-API-Key', us.key).expect(200);
      expect(download.headers['content-disposition']).toMatch(/^attachment; filename="[^"\r\n]*"(; filename\*=UTF-8''[^\s";]+)?$/);
      expect(download.headers['content-type']).toBe('audio/wav');
      expect(download.headers['x-content-type-options']).toBe('nosniff');
    });
  });
});
