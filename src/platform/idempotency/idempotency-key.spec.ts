import { parseIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it('accepts the bare (Stripe) and the sf-string (IETF draft) forms as the same key', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toEqual({ ok: true, key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toEqual({ ok: true, key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(parseIdempotencyKey('"a \\"quoted\\" key"')).toEqual({ ok: true, key: 'a "quoted" key' });
  });

  it('is absent when the header is', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['control character', 'a\tb'],
    ['leading space', ' abc'],
    ['unterminated sf-string', '"abc'],
    ['bad escape', '"a\\nb"'],
    ['empty sf-string', '""'],
  ])('refuses %s', (_name, value) => {
    expect(parseIdempotencyKey(value)).toMatchObject({ ok: false });
  });

  it('accepts exactly 255 characters', () => {
    expect(parseIdempotencyKey('k'.repeat(255))).toMatchObject({ ok: true });
  });

  it('refuses repeated headers', () => {
    expect(parseIdempotencyKey(['a', 'b'])).toMatchObject({ ok: false });
  });
});

describe('requestFingerprint', () => {
  it('ignores key order and whitespace but not values, method or path', () => {
    const base = requestFingerprint('POST', '/v1/releases', { title: 'A', artists: ['x'] });
    expect(requestFingerprint('post', '/v1/releases', { artists: ['x'], title: 'A' })).toBe(base);
    expect(requestFingerprint('POST', '/v1/releases', { title: 'B', artists: ['x'] })).not.toBe(base);
    expect(requestFingerprint('PATCH', '/v1/releases', { title: 'A', artists: ['x'] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/releases/x', { title: 'A', artists: ['x'] })).not.toBe(base);
  });
});
