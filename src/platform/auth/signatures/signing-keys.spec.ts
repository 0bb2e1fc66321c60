import { generateKeyPairSync } from 'node:crypto';
import { generateSigningSecret, parseEd25519PublicJwk, SIGNING_SECRET_BYTES } from './signing-keys';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PUBLIC_JWK = publicKey.export({ format: 'jwk' });

describe('generateSigningSecret', () => {
  it('makes 32 random bytes, base64', () => {
    const a = generateSigningSecret();
    expect(Buffer.from(a, 'base64')).toHaveLength(SIGNING_SECRET_BYTES);
    expect(Buffer.from(a, 'base64').toString('base64')).toBe(a);
    expect(generateSigningSecret()).not.toBe(a);
  });
});

describe('parseEd25519PublicJwk', () => {
  it('accepts a public Ed25519 JWK and keeps only kty, crv and x', () => {
    expect(parseEd25519PublicJwk({ ...PUBLIC_JWK, kid: 'client-1', use: 'sig', alg: 'EdDSA' })).toEqual({
      ok: true,
      jwk: { kty: 'OKP', crv: 'Ed25519', x: PUBLIC_JWK.x },
    });
  });

  it.each([
    ['a private JWK', privateKey.export({ format: 'jwk' })],
    ['an X25519 key', { ...PUBLIC_JWK, crv: 'X25519' }],
    ['an EC key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })],
    ['no x', { kty: 'OKP', crv: 'Ed25519' }],
    ['a short x', { ...PUBLIC_JWK, x: Buffer.alloc(31).toString('base64url') }],
    ['x in standard base64', { ...PUBLIC_JWK, x: `${PUBLIC_JWK.x}=` }],
    ['an unknown member', { ...PUBLIC_JWK, n: 'AQAB' }],
    ['use "enc"', { ...PUBLIC_JWK, use: 'enc' }],
    ['alg "ES256"', { ...PUBLIC_JWK, alg: 'ES256' }],
    ['a string', 'ed25519'],
    ['an array', [PUBLIC_JWK]],
    ['null', null],
  ])('refuses %s', (_label, jwk) => {
    expect(parseEd25519PublicJwk(jwk).ok).toBe(false);
  });
});
