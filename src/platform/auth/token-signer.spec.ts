import { createHash, createPublicKey, generateKeyPairSync, KeyObject, verify } from 'node:crypto';
import { ConfigError, loadConfig } from '../../config/app-config';
import { ACCESS_TOKEN_TYP, isAccessTokenClaims, TokenSigner } from './token-signer';

const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

/** RFC 7638 §3.2, written out member by member (not through the code under test). */
function thumbprint(publicKey: KeyObject): string {
  const { x, y } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`).digest('base64url');
}

function signer(env: Record<string, string> = {}): TokenSigner {
  return new TokenSigner(loadConfig({ NODE_ENV: 'test', ...env }));
}

function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; input: string; signature: Buffer } {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    input: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

describe('TokenSigner', () => {
  const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const previous = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('issues ES256 at+jwt tokens with the RFC 7638 kid and every RFC 9068 claim', () => {
    const s = signer({ JWT_PRIVATE_KEY: pkcs8(current.privateKey), TOKEN_TTL_SECONDS: '120', JWT_ISSUER: 'https://iss.test', JWT_AUDIENCE: 'aud-test' });
    const before = Math.floor(Date.now() / 1000);
    const { token, expiresIn, claims } = s.issue({ keyId: 'key_A', orgId: 'org_A', scopes: ['keys:read', 'releases:read'] });
    const { header, payload, input, signature } = parts(token);
    expect(header).toEqual({ alg: 'ES256', typ: ACCESS_TOKEN_TYP, kid: thumbprint(current.publicKey) });
    expect(payload).toEqual({
      iss: 'https://iss.test',
      aud: 'aud-test',
      sub: 'key_A',
      client_id: 'key_A',
      org: 'org_A',
      scope: 'keys:read releases:read',
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect((payload.exp as number) - (payload.iat as number)).toBe(120);
    expect(expiresIn).toBe(120);
    expect(claims).toEqual(payload);
    expect(verify('sha256', Buffer.from(input), { key: current.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('gives every token its own jti', () => {
    const s = signer();
    const ids = new Set(Array.from({ length: 50 }, () => s.issue({ keyId: 'k', orgId: 'o', scopes: [] }).claims.jti));
    expect(ids.size).toBe(50);
  });

  it('publishes the current and previous public keys only, each under its thumbprint', () => {
    const s = signer({ JWT_PRIVATE_KEY: pkcs8(current.privateKey), JWT_PREVIOUS_PUBLIC_KEY: spki(previous.publicKey) });
    const { keys } = s.jwks();
    expect(keys.map((k) => k.kid)).toEqual([thumbprint(current.publicKey), thumbprint(previous.publicKey)]);
    for (const jwk of keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(thumbprint(createPublicKey({ key: jwk, format: 'jwk' }))).toBe(jwk.kid);
    }
    expect(s.verificationKey(thumbprint(current.publicKey))).toBe(spki(current.publicKey));
    expect(s.verificationKey(thumbprint(previous.publicKey))).toBe(spki(previous.publicKey));
    expect(s.verificationKey('unknown')).toBeUndefined();
    expect(s.verificationKey('__proto__')).toBeUndefined();
  });

  it('signs with the current key, never the previous one', () => {
    const s = signer({ JWT_PRIVATE_KEY: pkcs8(current.privateKey), JWT_PREVIOUS_PUBLIC_KEY: spki(previous.publicKey) });
    const { header, input, signature } = parts(s.issue({ keyId: 'k', orgId: 'o', scopes: [] }).token);
    expect(header.kid).toBe(thumbprint(current.publicKey));
    expect(verify('sha256', Buffer.from(input), { key: previous.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
  });

  it('generates a P-256 key per process when none is configured (development)', () => {
    const a = signer();
    const b = signer();
    expect(a.jwks().keys).toHaveLength(1);
    expect(a.jwks().keys[0].kid).not.toBe(b.jwks().keys[0].kid);
  });

  it.each([
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['a P-384 key', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey],
    ['a secp256k1 key', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey],
  ])('refuses %s as JWT_PRIVATE_KEY with a ConfigError naming the variable', (_label, make) => {
    expect(() => signer({ JWT_PRIVATE_KEY: pkcs8(make()) })).toThrow(ConfigError);
    expect(() => signer({ JWT_PRIVATE_KEY: pkcs8(make()) })).toThrow(/JWT_PRIVATE_KEY/);
  });

  it('refuses an unreadable PEM and a non-P-256 previous key', () => {
    expect(() => signer({ JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----' })).toThrow(/JWT_PRIVATE_KEY/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(() => signer({ JWT_PRIVATE_KEY: pkcs8(current.privateKey), JWT_PREVIOUS_PUBLIC_KEY: spki(rsa) })).toThrow(/JWT_PREVIOUS_PUBLIC_KEY/);
  });
});

describe('isAccessTokenClaims', () => {
  const good = { iss: 'i', aud: 'a', sub: 'key_1', client_id: 'key_1', org: 'org_1', scope: 'keys:read', jti: 'j', iat: 1, exp: 2 };

  it('accepts the claims the signer issues', () => {
    expect(isAccessTokenClaims(good)).toBe(true);
  });

  it.each(['sub', 'org', 'scope', 'jti', 'iat', 'exp'])('refuses claims without %s or with it mistyped', (name) => {
    const { [name as keyof typeof good]: _dropped, ...without } = good;
    expect(isAccessTokenClaims(without)).toBe(false);
    expect(isAccessTokenClaims({ ...good, [name]: typeof good[name as keyof typeof good] === 'number' ? '1' : 1 })).toBe(false);
  });

  it.each([null, undefined, 'string', 42, []])('refuses %p', (value) => {
    expect(isAccessTokenClaims(value)).toBe(false);
  });
});
