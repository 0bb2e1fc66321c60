import type { Server } from 'node:http';
import { connect } from 'node:net';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrgWithKey } from './helpers/factories';
import { sendRaw } from './helpers/raw-http';
import { listen } from './helpers/upload-requests';

describe('HTTP platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { JSON_BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => t.close());

  it('answers liveness and readiness', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.info.database.status).toBe('up');
  });

  it('renders unknown routes as problem+json 404 without echoing the query', async () => {
    const res = await t.http.get('/v1/nope?secret=hunter2').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found', instance: '/v1/nope' });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const echoed = await t.http.get('/health/live').set('X-Request-Id', 'client-req-12345').expect(200);
    expect(echoed.headers['x-request-id']).toBe('client-req-12345');
    const replaced = await t.http.get('/health/live').set('X-Request-Id', 'bad id\twith spaces').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    const generated = await t.http.get('/health/live').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('sends security headers', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['strict-transport-security']).toBeUndefined(); // not serving TLS here
  });

  it('answers malformed JSON with 400 problem+json and no parser internals', async () => {
    const { key } = await createOrgWithKey(t);
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', key).set('Content-Type', 'application/json').send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toBe('The request body is not valid JSON.');
    expect(JSON.stringify(res.body)).not.toMatch(/SyntaxError|node_modules|at JSON/);
  });

  it('answers an oversized body with 413', async () => {
    const res = await t.http.post('/v1/api-keys').set('Content-Type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413, title: 'Content Too Large' });
  });

  it('answers an unsupported media type with 415', async () => {
    const res = await t.http.post('/v1/api-keys').set('Content-Type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('application/json');
  });

  it('refuses unknown properties with field errors (no mass assignment)', async () => {
    const { key } = await createOrgWithKey(t);
    const res = await t.http.post('/v1/api-keys').set('X-API-Key', key).send({ name: 'k', scopes: ['keys:read'], orgId: 'org_other' }).expect(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field: 'orgId', message: 'orgId is not a recognised property' }]));
  });

  it('refuses a JSON body that is not valid UTF-8 with 400 instead of storing U+FFFD', async () => {
    const { key, orgId } = await createOrgWithKey(t);
    const before = await t.prisma.apiKey.count({ where: { orgId } });
    const body = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('","scopes":["keys:read"]}')]);
    const base = await listen(t);
    const res = await sendRaw(base, { method: 'POST', path: '/v1/api-keys', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#malformed-body', detail: 'The request body is not valid UTF-8.' });
    expect(await t.prisma.apiKey.count({ where: { orgId } })).toBe(before);
    // Valid UTF-8 (the same name, encoded properly) goes through.
    const fine = Buffer.from('{"name":"café","scopes":["keys:read"]}', 'utf8');
    expect((await sendRaw(base, { method: 'POST', path: '/v1/api-keys', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: fine })).status).toBe(201);
  });

  it('refuses two Host header fields, or an invalid one, with 400 (RFC 9112 §3.2)', async () => {
    const { port } = new URL(await listen(t));
    const raw = (headers: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => socket.end(`GET /health/live HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    expect(await raw('Host: api.example\r\n')).toMatch(/^HTTP\/1\.1 200/);
    const twice = await raw('Host: api.example\r\nHost: internal.example\r\n');
    expect(twice).toMatch(/^HTTP\/1\.1 400/);
    expect(twice).toMatch(/content-type: application\/problem\+json/i);
    expect(twice).toContain('more than one Host');
    expect(await raw('Host: api.example/evil\r\n')).toMatch(/^HTTP\/1\.1 400/);
  });

  it('refuses any body property on routes that take none: submit, webhook test, redeliver', async () => {
    const { key } = await createOrgWithKey(t);
    const release = await t.http.post('/v1/releases').set('X-API-Key', key).send({ title: 'Blue', artists: ['Miles'] }).expect(201);
    const submit = `/v1/releases/${release.body.id}/submit`;
    const refused = await t.http.post(submit).set('X-API-Key', key).send({ status: 'approved' }).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'status', message: 'status is not a recognised property' }]);
    await t.http.post(submit).set('X-API-Key', key).send([]).expect(400);
    // No body, or an empty object, reaches the route (here: incomplete, 422).
    await t.http.post(submit).set('X-API-Key', key).expect(422);
    await t.http.post(submit).set('X-API-Key', key).send({}).expect(422);
    for (const route of ['/v1/webhook-endpoints/we_01JF3Z0000000000000000000A/test', '/v1/webhook-messages/msg_01JF3Z0000000000000000000A/redeliver']) {
      const res = await t.http.post(route).set('X-API-Key', key).send({ force: true }).expect(400);
      expect(res.body.errors).toEqual([{ field: 'force', message: 'force is not a recognised property' }]);
      await t.http.post(route).set('X-API-Key', key).expect(404);
    }
  });

  it('sets the server\'s header and request timeouts from the configuration, not Node\'s defaults', () => {
    const server = t.app.getHttpServer() as Server;
    // Node's defaults are 60 s and 300 s: a large upload would be cut off after five minutes.
    expect(server.headersTimeout).toBe(30_000);
    expect(server.requestTimeout).toBe(3_600_000);
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.http.get('/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/v1/api-keys', '/v1/oauth/token']));
  });
});

describe('OpenAPI cross-cutting description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('documents Idempotency-Key on every authenticated POST and PATCH, and problem+json errors on every mutating route', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ $ref?: string; name?: string; in?: string }>; responses: Record<string, unknown> }>>;
    };
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['post', 'patch']) {
        const op = item[method];
        if (!op || !(op.security?.length ?? 0)) continue;
        checked++;
        const idempotencyParameters = (op.parameters ?? []).filter(
          (p) => p.$ref === '#/components/parameters/IdempotencyKey' || (p.in === 'header' && p.name?.toLowerCase() === 'idempotency-key'),
        );
        // Exactly once: OpenAPI forbids a parameter listed twice.
        expect({ path, method, count: idempotencyParameters.length }).toEqual({ path, method, count: 1 });
        expect(op.responses.default).toBeDefined();
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(doc.paths['/v1/oauth/token'].post.parameters ?? []).not.toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
  });
});
