import * as crypto from 'node:crypto';
import nodeCrypto = require('node:crypto');
import { crc32 } from 'node:zlib';
import {
  API_KEY_LENGTH,
  BASE62_ALPHABET,
  KEY_RANDOM_LENGTH,
  apiKeyHashMatches,
  checksumOf,
  generateApiKey,
  hashApiKey,
  parseApiKey,
} from './key-format';

// Independent base62 (BigInt, repeated division) so the checksum is not
// checked against its own implementation.
function referenceBase62(value: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = BigInt(value);
  let out = '';
  do {
    out = alphabet[Number(n % 62n)] + out;
    n /= 62n;
  } while (n > 0n);
  return out.padStart(6, '0');
}

const PRINTABLE_ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const withChecksum = (body: string) => body + checksumOf(body);

describe('checksumOf', () => {
  it('is the CRC-32/ISO-HDLC check value for "123456789" (0xCBF43926) in base62', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    // By hand: '3jZRME' = digits 3, 45, 35, 27, 22, 14 in base 62.
    expect(3 * 62 ** 5 + 45 * 62 ** 4 + 35 * 62 ** 3 + 27 * 62 ** 2 + 22 * 62 + 14).toBe(0xcbf43926);
    expect(checksumOf('123456789')).toBe('3jZRME');
    expect(referenceBase62(0xcbf43926)).toBe('3jZRME');
  });

  it.each([
    ['', 0x00000000, '000000'],
    ['mpk_live_0000000000000000000000000000', 0x7e60dfe9, '2JUTA9'],
    ['mpk_test_zzzzzzzzzzzzzzzzzzzzzzzzzzzz', 0xfb279691, '4bA9Wj'],
    ['mpk_live_AbCdEfGhIjKlMnOpQrStUvWxYz01', 0xe6eaf52f, '4EBZRH'],
  ])('matches known vector %j', (body, crc, expected) => {
    expect(crc32(body)).toBe(crc);
    expect(referenceBase62(crc)).toBe(expected);
    expect(checksumOf(body)).toBe(expected);
  });

  it('left-pads small values and fits the largest CRC (2^32 - 1) in 6 digits', () => {
    expect(referenceBase62(0xffffffff)).toBe('4gfFC3');
    for (let i = 0; i < 2000; i++) {
      const body = `mpk_live_${i}`;
      const sum = checksumOf(body);
      expect(sum).toMatch(/^[0-9A-Za-z]{6}$/);
      expect(sum).toBe(referenceBase62(crc32(body)));
    }
  });
});

describe('generateApiKey', () => {
  it.each(['live', 'test'] as const)('makes a %s key of the documented shape that parses', (mode) => {
    const key = generateApiKey(mode);
    expect(key).toHaveLength(API_KEY_LENGTH);
    expect(key).toMatch(new RegExp(`^mpk_${mode}_[0-9A-Za-z]{40}$`));
    expect(key.slice(-6)).toBe(checksumOf(key.slice(0, -6)));
    expect(parseApiKey(key)).toEqual({ mode, lookupPrefix: key.slice(0, 'mpk_live_'.length + 6) });
  });

  it('carries at least 160 bits of randomness (API guide: Authentication)', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect(KEY_RANDOM_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(160);
    // The lookup prefix is public: what stays secret must still be ≥ 160 bits (API guide: Authentication).
    const key = generateApiKey('live');
    const lookupPrefix = parseApiKey(key)!.lookupPrefix;
    const secretRandomChars = KEY_RANDOM_LENGTH - (lookupPrefix.length - 'mpk_live_'.length);
    expect(secretRandomChars * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  it('never repeats across 1,000 keys and uses the whole alphabet', () => {
    const keys = Array.from({ length: 1000 }, () => generateApiKey('test'));
    expect(new Set(keys).size).toBe(1000);
    const seen = new Set(keys.flatMap((k) => [...k.slice(9, 9 + KEY_RANDOM_LENGTH)]));
    expect(seen.size).toBe(62);
  });

  it('rejects bytes ≥ 248 instead of reducing them modulo 62 (no bias)', () => {
    // 248 = 4 · 62; bytes 248..255 would otherwise map to symbols 0..7 again.
    const pattern = [248, 255, 0, 61, 62, 247, 250];
    // Spy on the module object itself: `import * as` gives an interop copy under SWC.
    const spy = jest
      .spyOn(nodeCrypto, 'randomBytes')
      .mockImplementation(((size: number) => Buffer.from(Array.from({ length: size }, (_, i) => pattern[i % pattern.length]))) as never);
    try {
      const random = generateApiKey('live').slice(9, 9 + KEY_RANDOM_LENGTH);
      // Each cycle of the pattern contributes 0→'0', 61→'z', 62→'0', 247→'z' (247 = 3·62 + 61).
      expect(random).toBe('0z'.repeat(KEY_RANDOM_LENGTH / 2));
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses an unknown mode from untyped callers', () => {
    expect(() => generateApiKey('prod' as never)).toThrow(TypeError);
  });
});

describe('parseApiKey', () => {
  const live = generateApiKey('live');
  const test = generateApiKey('test');

  it('returns the mode and a lookup prefix of mode + 6 random characters', () => {
    expect(parseApiKey(live)).toEqual({ mode: 'live', lookupPrefix: live.slice(0, 15) });
    expect(parseApiKey(test)).toEqual({ mode: 'test', lookupPrefix: test.slice(0, 15) });
    expect(parseApiKey(withChecksum('mpk_live_AbCdEfGhIjKlMnOpQrStUvWxYz01234567'))).toEqual({
      mode: 'live',
      lookupPrefix: 'mpk_live_AbCdEf',
    });
  });

  it('rejects every single-character substitution (CRC32 detects all bursts ≤ 32 bits)', () => {
    for (const key of [live, test, generateApiKey('live')]) {
      for (let i = 0; i < key.length; i++) {
        for (const c of PRINTABLE_ASCII) {
          if (c === key[i]) continue;
          const mutated = key.slice(0, i) + c + key.slice(i + 1);
          if (parseApiKey(mutated) !== null) throw new Error(`accepted ${JSON.stringify(mutated)}`);
        }
      }
    }
  });

  it('rejects every swap of two adjacent different characters', () => {
    for (let i = 0; i + 1 < live.length; i++) {
      if (live[i] === live[i + 1]) continue;
      const swapped = live.slice(0, i) + live[i + 1] + live[i] + live.slice(i + 2);
      expect(parseApiKey(swapped)).toBeNull();
    }
  });

  it('rejects a live key relabelled as test (the checksum covers the prefix)', () => {
    expect(parseApiKey(live.replace('mpk_live_', 'mpk_test_'))).toBeNull();
  });

  it.each([
    ['other mode', 'mpk_prod_'],
    ['uppercase prefix', 'MPK_LIVE_'],
    ['uppercase mode', 'mpk_LIVE_'],
    ['capitalised', 'Mpk_live_'],
    ['other vendor', 'sk__live_'],
    ['hyphens', 'mpk-live-'],
  ])('rejects a wrong prefix even with a valid checksum: %s', (_label, prefix) => {
    const forged = withChecksum(prefix + live.slice(9, 9 + KEY_RANDOM_LENGTH));
    expect(forged).toHaveLength(API_KEY_LENGTH);
    expect(parseApiKey(forged)).toBeNull();
  });

  it('rejects wrong lengths even when the checksum fits', () => {
    const random = live.slice(9, 9 + KEY_RANDOM_LENGTH);
    expect(parseApiKey(withChecksum(`mpk_live_${random.slice(1)}`))).toBeNull();
    expect(parseApiKey(withChecksum(`mpk_live_${random}A`))).toBeNull();
    expect(parseApiKey(live.slice(0, -1))).toBeNull();
    expect(parseApiKey(live + 'A')).toBeNull();
    expect(parseApiKey(`${live} `)).toBeNull();
    expect(parseApiKey(` ${live}`)).toBeNull();
  });

  it('rejects non-base62 characters even when the checksum fits', () => {
    for (const bad of ['-', '_', '+', '/', '=', ' ', '.', '\0']) {
      const forged = withChecksum(`mpk_live_${bad}${live.slice(10, 9 + KEY_RANDOM_LENGTH)}`);
      expect(parseApiKey(forged)).toBeNull();
    }
  });

  it('rejects unicode, including look-alikes and characters outside the BMP', () => {
    const random = live.slice(9, 9 + KEY_RANDOM_LENGTH);
    for (const odd of ['\u0430', 'é', '\uff21', '\u200b', '😀'.slice(0, 1)]) {
      expect(parseApiKey(withChecksum(`mpk_live_${odd}${random.slice(1)}`))).toBeNull();
    }
    // A surrogate pair is two UTF-16 units: same length as a real key, still rejected.
    expect(parseApiKey(withChecksum(`mpk_live_😀${random.slice(2)}`))).toBeNull();
    expect(parseApiKey('мpk_live_' + live.slice(9))).toBeNull();
  });

  it('returns null, never throws, for empty, huge and non-string input', () => {
    expect(parseApiKey('')).toBeNull();
    expect(parseApiKey('mpk_live_')).toBeNull();
    expect(parseApiKey(live.repeat(100_000))).toBeNull();
    expect(parseApiKey('a'.repeat(10_000_000))).toBeNull();
    for (const junk of [undefined, null, 42, {}, [], Buffer.from(live), ['mpk_live_']]) {
      expect(parseApiKey(junk as never)).toBeNull();
    }
  });
});

describe('hashApiKey / apiKeyHashMatches', () => {
  const pepper = crypto.randomBytes(32);
  const key = generateApiKey('live');

  it('is HMAC-SHA-256 keyed with the pepper', () => {
    const expected = crypto.createHmac('sha256', pepper).update(key).digest();
    expect(hashApiKey(pepper, key).equals(expected)).toBe(true);
    expect(hashApiKey(pepper, key)).toHaveLength(32);
  });

  it('matches RFC 4231 test case 2', () => {
    const mac = hashApiKey(Buffer.from('Jefe'), 'what do ya want for nothing?');
    expect(mac.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('depends on the pepper and on every character of the key', () => {
    expect(hashApiKey(crypto.randomBytes(32), key).equals(hashApiKey(pepper, key))).toBe(false);
    expect(hashApiKey(pepper, generateApiKey('live')).equals(hashApiKey(pepper, key))).toBe(false);
  });

  it('refuses an empty pepper', () => {
    expect(() => hashApiKey(Buffer.alloc(0), key)).toThrow(TypeError);
  });

  it('accepts the right key against its stored hash, as Buffer or Uint8Array', () => {
    const stored = hashApiKey(pepper, key);
    expect(apiKeyHashMatches(pepper, key, stored)).toBe(true);
    expect(apiKeyHashMatches(pepper, key, new Uint8Array(stored))).toBe(true);
  });

  it('refuses another key, another pepper, a tampered or wrongly sized hash, without throwing', () => {
    const stored = hashApiKey(pepper, key);
    expect(apiKeyHashMatches(pepper, generateApiKey('live'), stored)).toBe(false);
    expect(apiKeyHashMatches(crypto.randomBytes(32), key, stored)).toBe(false);
    const flipped = Buffer.from(stored);
    flipped[31] ^= 1;
    expect(apiKeyHashMatches(pepper, key, flipped)).toBe(false);
    expect(apiKeyHashMatches(pepper, key, stored.subarray(0, 31))).toBe(false);
    expect(apiKeyHashMatches(pepper, key, Buffer.concat([stored, Buffer.alloc(1)]))).toBe(false);
    expect(apiKeyHashMatches(pepper, key, Buffer.alloc(0))).toBe(false);
    expect(apiKeyHashMatches(pepper, key, null as never)).toBe(false);
    expect(apiKeyHashMatches(pepper, key, stored.toString('hex') as never)).toBe(false);
  });
});
