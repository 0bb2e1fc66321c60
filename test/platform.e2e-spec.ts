import { startTestApp, TestApp } from './helpers/test-app';
import { createOrgWithKey } from './helpers/factories';

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
