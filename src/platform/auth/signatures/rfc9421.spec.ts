// The verifier against RFC 9421 Appendix B (test keys B.1.4, B.1.5; request
// B.2; signatures B.2.5 and B.2.6): what it rebuilds must be byte for byte
// what the RFC signed, and the RFC's signatures must verify.
import { createPrivateKey, sign } from 'node:crypto';
import { buildSignatureBase } from './signature-base';
import { readSignatureFields } from './signature-fields';
import { ed25519KeyFromJwk, hmacKeyFromSecret } from './signing-keys';
import { signatureMatches } from './request-signature';

/** B.1.4 test-key-ed25519, public half, as a JWK. */
const TEST_KEY_ED25519_PUBLIC_JWK = { kty: 'OKP', crv: 'Ed25519', x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs' } as const;
/** B.1.4 test-key-ed25519, private half (PKCS#8 PEM). */
const TEST_KEY_ED25519_PRIVATE_PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';
/** B.1.5 test-shared-secret (base64). */
const TEST_SHARED_SECRET = 'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==';

/** B.2 test request: POST /foo?param=Value&Pet=dog to example.com. */
const TEST_REQUEST = {
  method: 'POST',
  scheme: 'https',
  authority: 'example.com',
  requestTarget: '/foo?param=Value&Pet=dog',
  rawHeaders: [
    'Host', 'example.com',
    'Date', 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type', 'application/json',
    'Content-Digest', 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'Content-Length', '18',
  ],
};

/** B.2.6: Ed25519 over date, @method, @path, @authority, content-type, content-length (relabelled sig1; the label is not signed). */
const B26 = {
  signatureInput: 'sig1=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signature: 'sig1=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  base: [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  ].join('\n'),
};

/** B.2.5: HMAC-SHA256 over date, @authority, content-type (relabelled sig1). */
const B25 = {
  signatureInput: 'sig1=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
  signature: 'sig1=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:',
};

describe('RFC 9421 Appendix B', () => {
  it('B.2.6: rebuilds the Ed25519 signature base exactly, and the RFC signature verifies', () => {
    const fields = readSignatureFields(B26.signatureInput, B26.signature);
    const base = buildSignatureBase(fields.components, fields.signatureParams, TEST_REQUEST);
    expect(base).toBe(B26.base);
    expect(signatureMatches('ed25519', ed25519KeyFromJwk(TEST_KEY_ED25519_PUBLIC_JWK), Buffer.from(base), fields.signature)).toBe(true);
    // Ed25519 is deterministic: signing the base with the private key gives the RFC's bytes.
    expect(sign(null, Buffer.from(base), createPrivateKey(TEST_KEY_ED25519_PRIVATE_PEM))).toEqual(fields.signature);
  });

  it('B.2.5: the HMAC-SHA256 signature verifies with the shared secret, and not with another', () => {
    const fields = readSignatureFields(B25.signatureInput, B25.signature);
    const base = Buffer.from(buildSignatureBase(fields.components, fields.signatureParams, TEST_REQUEST));
    expect(signatureMatches('hmac-sha256', hmacKeyFromSecret(TEST_SHARED_SECRET), base, fields.signature)).toBe(true);
    expect(signatureMatches('hmac-sha256', hmacKeyFromSecret(Buffer.alloc(64, 1).toString('base64')), base, fields.signature)).toBe(false);
  });

  it('refuses the B.2.6 signature once any covered part of the request changes', () => {
    const fields = readSignatureFields(B26.signatureInput, B26.signature);
    const key = ed25519KeyFromJwk(TEST_KEY_ED25519_PUBLIC_JWK);
    const variants = [
      { ...TEST_REQUEST, method: 'PUT' },
      { ...TEST_REQUEST, requestTarget: '/bar?param=Value&Pet=dog' },
      { ...TEST_REQUEST, authority: 'example.org' },
      { ...TEST_REQUEST, rawHeaders: TEST_REQUEST.rawHeaders.map((v) => (v === '18' ? '19' : v)) },
    ];
    for (const variant of variants) {
      const base = Buffer.from(buildSignatureBase(fields.components, fields.signatureParams, variant));
      expect(signatureMatches('ed25519', key, base, fields.signature)).toBe(false);
    }
  });
});
