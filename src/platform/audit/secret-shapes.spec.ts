import { randomBytes } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { containsSecretShape, looksLikeOpaqueToken, REDACTED_SECRET, redactSecretShapes, redactSecretShapesIn } from './secret-shapes';

const apiKey = 'mpk_live_7Hq2xYbQ9rT4vW8zA1cD3eF5gH6jK0mN2pQ4r3fZ9aQ';
const testKey = 'mpk_test_AbC123def456GHI789jkl012MNO345pqr678stu901';
const whsec = `whsec_${randomBytes(24).toString('base64')}`;
const jwt = sign({ sub: 'key_1', org: 'org_1', scope: 'releases:read' }, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { algorithm: 'ES256' });
const unsignedJwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;

describe('secret shapes', () => {
  it.each([
    ['an API key', apiKey],
    ['a test-mode API key', testKey],
    ['a truncated API key (beyond the public prefix)', apiKey.slice(0, 20)],
    ['a webhook secret', whsec],
    ['a signed JWT', jwt],
    ['an unsigned JWT', unsignedJwt],
    ['three long base64url segments', `${'a1B2'.repeat(6)}.${'c3D4'.repeat(6)}.${'e5F6'.repeat(6)}`],
    ['a bearer token', `Bearer ${randomBytes(24).toString('base64url')}`],
    ['a bearer token, lower case', `bearer ${randomBytes(24).toString('hex')}`],
    // One random base64url token in 230 has no digit.
    ['a bearer token without a digit', 'Bearer qTzRwXvB_kLmNoPaQhYdWuJeFsGc-IoZ'],
    ['Basic credentials', `Basic ${Buffer.from(`key_1:${apiKey}`).toString('base64')}`],
  ])('finds %s, alone or inside other text', (_label, secret) => {
    expect(containsSecretShape(secret)).toBe(true);
    const text = `Summer EP ${secret} (deluxe)`;
    expect(containsSecretShape(text)).toBe(true);
    const redacted = redactSecretShapesIn(text);
    expect(redacted).not.toContain(secret);
    expect(redacted.startsWith('Summer EP ')).toBe(true);
    expect(redacted.endsWith(' (deluxe)')).toBe(true);
    expect(redacted).toContain(REDACTED_SECRET);
  });

  it.each([
    'Summer EP (deluxe)',
    'mpk_live_AbC123', // a key's public lookup prefix, shown to users
    'rel_0123456789abcdef0123456789abcdef',
    'api.musicpub.example.com',
    'Basic instruments of love',
    'Bearer of bad news',
    'bearer responsibilities',
    'Basic Instrumentation Techniques',
    'whsec_',
    'eyJ',
    'USRC17607839',
    '2026-12-05T11:00:00.000Z',
    'https://hooks.example.com/musicpub?tenant=42',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(containsSecretShape(text)).toBe(false);
    expect(redactSecretShapesIn(text)).toBe(text);
  });

  it('redacts every string of a JSON value, keys included, and returns the value itself when nothing matched', () => {
    const changes = {
      fields: ['title', apiKey, 'artists'],
      values: { title: `Hits ${apiKey}`, artists: ['A', jwt], [whsec]: 1, nested: { deep: [{ description: `see Bearer ${randomBytes(20).toString('hex')}` }] }, n: 3, ok: true, none: null },
    };
    const redacted = redactSecretShapes(changes);
    const text = JSON.stringify(redacted);
    for (const secret of [apiKey, jwt, whsec]) expect(text).not.toContain(secret);
    expect(redacted).toEqual({
      fields: ['title', REDACTED_SECRET, 'artists'],
      values: { title: `Hits ${REDACTED_SECRET}`, artists: ['A', REDACTED_SECRET], [REDACTED_SECRET]: 1, nested: { deep: [{ description: `see ${REDACTED_SECRET}` }] }, n: 3, ok: true, none: null },
    });
    expect(changes.values.title).toBe(`Hits ${apiKey}`); // the input is not modified

    const clean = { fields: ['title'], values: { title: 'Hits', artists: ['A'] } };
    expect(redactSecretShapes(clean)).toBe(clean);
  });

  it('still finds a signed JWT glued to the text before it', () => {
    expect(redactSecretShapesIn(`token${jwt} (deluxe)`)).toBe(`${REDACTED_SECRET} (deluxe)`);
  });

  // A client controls query parameter names, paths and User-Agents up to the
  // header limit, and each is scanned before the request is authenticated.
  // Quadratic patterns took 0.4 s of CPU for 20,000 characters, about 40 s
  // for these; linear ones take about a millisecond.
  it.each([
    ['a run of letters', 'a'.repeat(200_000)],
    ['a run after a scheme name', `Bearer ${'a'.repeat(200_000)}`],
    ['repeated JWT headers without dots', 'eyJ'.repeat(70_000)],
    ['dashes between JWT headers', '-eyJ'.repeat(50_000)],
    ['a long first segment', `${'a'.repeat(100_000)}.${'b'.repeat(100_000)}`],
    ['scheme names and spaces', 'basic '.repeat(30_000)],
  ])('scans %s in time linear in its length', (_label, text) => {
    const started = process.cpuUsage();
    expect(containsSecretShape(text)).toBe(false);
    expect(redactSecretShapesIn(text)).toBe(text);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });

  it('gives the same answer on repeated calls (no state carried by the global pattern)', () => {
    for (let i = 0; i < 3; i++) expect(containsSecretShape(apiKey)).toBe(true);
  });

  it('tells opaque tokens from parameter names', () => {
    expect(looksLikeOpaqueToken(randomBytes(24).toString('base64'))).toBe(true);
    expect(looksLikeOpaqueToken(randomBytes(16).toString('hex'))).toBe(true);
    expect(looksLikeOpaqueToken('sig1=:K2qGT5srn2OGbOIDzQ6kYT+ruaycnDAAUpKv+ePFfD0=:')).toBe(true);
    for (const name of ['limit', 'cursor', 'include_deleted_releases_totally', 'access_token', 'resourceId']) expect(looksLikeOpaqueToken(name)).toBe(false);
  });
});
