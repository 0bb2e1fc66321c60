import { CREATED_SKEW_SECONDS, checkCoveredComponents, checkSignatureParameters } from './signature-policy';
import { SignatureRefusal } from './signature-refusal';
import type { SignatureParameters } from './signature-fields';

const NOW = 1_700_000_000;
const EXPECTED = { keyId: 'key_1', alg: 'ed25519' as const };
const GOOD: SignatureParameters = { keyid: 'key_1', alg: 'ed25519', created: NOW, nonce: 'a1b2c3d4e5f6' };

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureRefusal) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('checkSignatureParameters', () => {
  it('accepts the key’s own keyid and alg, a fresh created and a well-formed nonce', () => {
    expect(checkSignatureParameters(GOOD, EXPECTED, NOW)).toEqual({ nonce: 'a1b2c3d4e5f6' });
  });

  it.each<[string, SignatureParameters, string]>([
    ['no keyid', { ...GOOD, keyid: undefined }, 'signature_keyid'],
    ['another key’s id', { ...GOOD, keyid: 'key_2' }, 'signature_keyid'],
    ['no alg', { ...GOOD, alg: undefined }, 'signature_alg'],
    ['the other algorithm', { ...GOOD, alg: 'hmac-sha256' }, 'signature_alg'],
    ['an algorithm spelled differently', { ...GOOD, alg: 'Ed25519' }, 'signature_alg'],
    ['no created', { ...GOOD, created: undefined }, 'signature_malformed'],
    ['created 301 s ago', { ...GOOD, created: NOW - CREATED_SKEW_SECONDS - 1 }, 'signature_expired'],
    ['created 301 s ahead', { ...GOOD, created: NOW + CREATED_SKEW_SECONDS + 1 }, 'signature_future'],
    ['an expires that has passed', { ...GOOD, expires: NOW - 1 }, 'signature_expired'],
    ['no nonce', { ...GOOD, nonce: undefined }, 'signature_malformed'],
    ['a 7-character nonce', { ...GOOD, nonce: 'abcdefg' }, 'signature_malformed'],
    ['a 129-character nonce', { ...GOOD, nonce: 'n'.repeat(129) }, 'signature_malformed'],
    ['a nonce with a space', { ...GOOD, nonce: 'abcd efgh' }, 'signature_malformed'],
  ])('refuses %s', (_label, params, reason) => {
    expect(reasonOf(() => checkSignatureParameters(params, EXPECTED, NOW))).toBe(reason);
  });

  it('accepts created exactly 300 s either side, and an expires still ahead', () => {
    expect(reasonOf(() => checkSignatureParameters({ ...GOOD, created: NOW - CREATED_SKEW_SECONDS }, EXPECTED, NOW))).toBe('accepted');
    expect(reasonOf(() => checkSignatureParameters({ ...GOOD, created: NOW + CREATED_SKEW_SECONDS }, EXPECTED, NOW))).toBe('accepted');
    expect(reasonOf(() => checkSignatureParameters({ ...GOOD, expires: NOW }, EXPECTED, NOW))).toBe('accepted');
  });
});

describe('checkCoveredComponents', () => {
  it('needs @method and @target-uri always, content-digest only with a body', () => {
    expect(reasonOf(() => checkCoveredComponents(['@target-uri', '@method'], false))).toBe('accepted');
    expect(reasonOf(() => checkCoveredComponents(['@method', '@target-uri', 'content-digest'], true))).toBe('accepted');
    expect(reasonOf(() => checkCoveredComponents(['@method', '@target-uri'], true))).toBe('signature_components');
    expect(reasonOf(() => checkCoveredComponents(['@method', '@path', '@authority', '@scheme', '@query'], false))).toBe('signature_components');
    expect(reasonOf(() => checkCoveredComponents([], false))).toBe('signature_components');
  });
});
