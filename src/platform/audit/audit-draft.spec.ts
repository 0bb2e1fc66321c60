import type { Request } from 'express';
import type { AuthPrincipal } from '../auth/principal';
import { AUDITED_VALUE_FIELDS, actorOf, auditedChanges, defaultAction, outcomeFor, requestFacts } from './audit-draft';

const SECRET = 'mpk_live_7fQ2xP9mZk3LrT8vW1yB4nC6dE0gH5jKaS2u1x';

describe('auditedChanges (allowlist of body values)', () => {
  it('records the values of allowlisted fields and only the names of the others', () => {
    const changes = auditedChanges({ name: 'Distributor sync', scopes: ['keys:read'], key: SECRET, client_secret: SECRET, signingSecret: SECRET });
    expect(changes).toEqual({
      fields: ['name', 'scopes', 'key', 'client_secret', 'signingSecret'],
      values: { name: 'Distributor sync', scopes: ['keys:read'] },
    });
    expect(JSON.stringify(changes)).not.toContain(SECRET);
  });

  it('never records a value of a field outside the allowlist, whatever it is called', () => {
    const body: Record<string, unknown> = {};
    for (const field of ['secret', 'password', 'token', 'access_token', 'apiKey', 'signature', 'file', 'content', 'url', 'data', 'Name', 'NAME', 'name ']) {
      body[field] = SECRET;
    }
    const changes = auditedChanges(body)!;
    expect(changes.values).toEqual({});
    expect(JSON.stringify(changes.values)).not.toContain(SECRET);
  });

  it('keeps the allowlist free of secret-bearing names', () => {
    for (const field of AUDITED_VALUE_FIELDS) expect(field).not.toMatch(/secret|key$|token|password|signature|^url$/i);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', SECRET],
    ['a number', 42],
    ['an array', [SECRET]],
    ['an empty object', {}],
  ])('records nothing for %s', (_label, body) => {
    expect(auditedChanges(body)).toBeNull();
  });

  it('replaces an oversized value and records null for a null one', () => {
    const changes = auditedChanges({ title: 't'.repeat(5000), label: null, description: 'short' })!;
    expect(changes.values).toEqual({ title: '[too long]', label: null, description: 'short' });
  });

  it('names at most 50 fields', () => {
    const body = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, i]));
    expect((auditedChanges(body)!.fields as string[]).length).toBe(50);
  });
});

describe('actorOf', () => {
  const principal = (credential: AuthPrincipal['credential']): AuthPrincipal => ({ orgId: 'org_1', keyId: 'key_1', credential, scopes: [] });

  it('names the key for an API key and for a token issued from it', () => {
    expect(actorOf(principal('api_key'))).toEqual({ actorType: 'api_key', actorId: 'key_1' });
    expect(actorOf(principal('token'))).toEqual({ actorType: 'token', actorId: 'key_1' });
  });

  it('is anonymous without a principal', () => {
    expect(actorOf(undefined)).toEqual({ actorType: 'anonymous', actorId: null });
  });
});

describe('outcomeFor', () => {
  it.each([200, 201, 202, 204, 304])('%i is a success', (status) => expect(outcomeFor(status)).toBe('success'));
  it.each([400, 401, 403, 404, 409, 412, 413, 415, 422, 429])('%i is a denial', (status) => expect(outcomeFor(status)).toBe('denied'));
  it.each([500, 502, 503, 504])('%i is an error', (status) => expect(outcomeFor(status)).toBe('error'));
});

describe('defaultAction', () => {
  it.each([
    ['v1/api-keys', 'create', 'api_key.create', 'api_key'],
    ['v1/api-keys', 'rotate', 'api_key.rotate', 'api_key'],
    ['v1/releases', 'update', 'release.update', 'release'],
    ['v1/releases/:id/tracks', 'create', 'track.create', 'track'],
    ['v1/webhook-endpoints', 'rotateSecret', 'webhook_endpoint.rotateSecret', 'webhook_endpoint'],
    ['v1/webhook-messages', 'redeliver', 'webhook_message.redeliver', 'webhook_message'],
    ['v1/partners/:partnerId/callbacks', 'receive', 'callback.receive', 'callback'],
    ['v1/uploads', 'create', 'upload.create', 'upload'],
    ['v1/oauth', 'token', 'oauth.token', 'oauth'],
    ['', 'anything', 'request.anything', 'request'],
  ])('%s + %s → %s', (path, handler, action, resourceType) => {
    expect(defaultAction(path, handler)).toEqual({ action, resourceType });
  });

  it('fits the columns (action ≤ 64, resource type ≤ 32)', () => {
    const { action, resourceType } = defaultAction(`v1/${'x'.repeat(100)}s`, 'y'.repeat(100));
    expect(action.length).toBeLessThanOrEqual(64);
    expect(resourceType.length).toBeLessThanOrEqual(32);
  });
});

describe('requestFacts', () => {
  const request = (headers: Record<string, string>, ip?: string, id?: string) => ({ headers, ip, id }) as unknown as Request;

  it('takes the address Express resolved, the user agent and the request id', () => {
    expect(requestFacts(request({ 'user-agent': 'curl/8.0' }, '203.0.113.9', 'req_abc'))).toEqual({ ip: '203.0.113.9', userAgent: 'curl/8.0', requestId: 'req_abc' });
  });

  it('bounds the user agent to its column and fills the gaps with null', () => {
    expect(requestFacts(request({ 'user-agent': 'u'.repeat(1000) })).userAgent).toHaveLength(256);
    expect(requestFacts(request({}))).toEqual({ ip: null, userAgent: null, requestId: null });
  });
});
