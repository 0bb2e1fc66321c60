// API key format, API guide: Authentication: `mpk_live_<random><checksum>` / `mpk_test_<random><checksum>`.
//
//   mpk_live_ 7Hq2…(34 base62 chars)… 3fZ9aQ
//   └ prefix ┘└──── random part ────┘└ CRC ┘
//
// - Random part: 34 characters of base62 (`0-9A-Za-z`) = 34 · log2(62) ≈ 202.4
//   bits, so that even after the public lookup prefix ≥ 160 bits stay secret
//   (the contract's floor). Drawn from the CSPRNG with rejection
//   sampling, so every character is uniform (a plain `byte % 62` would make
//   the first 8 symbols 25% likelier than the rest).
// - Checksum: the last 6 characters are the CRC32 (IEEE 802.3, zlib's) of
//   everything before them, in base62, most significant digit first, padded
//   with `0`. It is no security measure (anyone can compute it); it lets secret
//   scanners and clients reject a mistyped or truncated key offline, and lets
//   the server drop junk before any database lookup — the scheme GitHub uses
//   for its token formats.
// - Storage: only HMAC-SHA-256(pepper, key) (API guide: Authentication), so a leaked table
//   cannot be brute-forced without the server's pepper too.
//
// Lookup prefix: `mpk_live_` plus the first 6 random characters, e.g.
// `mpk_live_AbC123`. It is stored in clear as the non-unique lookup index and
// shown to users (API guide: API keys and rotation `prefix`) so they can tell their keys apart. It
// reveals 6 · log2(62) ≈ 35.7 bits; the other 28 random characters
// (≈ 166.7 bits) stay secret, above the contract's 160 bits and far above the
// 128-bit floor for brute-force resistance (NIST SP 800-57 security strength).

import { createHmac, createSecretKey, KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type KeyMode = 'live' | 'test';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Characters of randomness in a key: 34 · log2(62) ≈ 202.4 bits (≈ 166.7 after the public prefix). */
export const KEY_RANDOM_LENGTH = 34;
export const KEY_CHECKSUM_LENGTH = 6;
/** Random characters revealed by the lookup prefix (≈ 35.7 bits; ≈ 166.7 stay secret). */
export const LOOKUP_PREFIX_RANDOM_LENGTH = 6;
/** `mpk_live_` and `mpk_test_` have the same length, so every key has this length. */
export const API_KEY_LENGTH = 'mpk_live_'.length + KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH;

const KEY_SHAPE = new RegExp(`^mpk_(live|test)_([0-9A-Za-z]{${KEY_RANDOM_LENGTH}})([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`);
// Largest multiple of 62 that fits in a byte: bytes at or above it are
// rejected so `byte % 62` is uniform.
const UNBIASED_BYTE_LIMIT = 256 - (256 % 62); // 248
const HMAC_SHA256_LENGTH = 32;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // 8 of 256 byte values are rejected, so a small surplus nearly always suffices.
    for (const byte of randomBytes(length + 8)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Base62 CRC32 (IEEE) of `body`, 6 characters, most significant digit first. */
export function checksumOf(body: string): string {
  // zlib.crc32 is the IEEE 802.3 polynomial, unsigned; 62^6 > 2^32, so 6 digits always suffice.
  let value = crc32(body);
  let digits = '';
  for (let i = 0; i < KEY_CHECKSUM_LENGTH; i++) {
    digits = BASE62_ALPHABET[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits;
}

/** A new random key; show it once, store only `hashApiKey(pepper, key)`. */
export function generateApiKey(mode: KeyMode): string {
  if (mode !== 'live' && mode !== 'test') throw new TypeError('API key mode must be "live" or "test"');
  const body = `mpk_${mode}_${randomBase62(KEY_RANDOM_LENGTH)}`;
  return body + checksumOf(body);
}

/**
 * The mode and lookup prefix of a well-formed key, or null for anything else
 * (wrong prefix or case, wrong length, non-base62, bad checksum, non-string).
 * Never throws. The length is checked before anything else, so a megabyte of
 * header costs nothing more than a comparison.
 */
export function parseApiKey(candidate: string): { mode: KeyMode; lookupPrefix: string } | null {
  if (typeof candidate !== 'string' || candidate.length !== API_KEY_LENGTH) return null;
  const match = KEY_SHAPE.exec(candidate);
  if (match === null) return null;
  const body = candidate.slice(0, -KEY_CHECKSUM_LENGTH);
  if (checksumOf(body) !== match[3]) return null;
  const mode = match[1] as KeyMode;
  return { mode, lookupPrefix: `mpk_${mode}_${match[2].slice(0, LOOKUP_PREFIX_RANDOM_LENGTH)}` };
}

/** HMAC-SHA-256(pepper, key): the only form of a key that is stored (API guide: Authentication). */
// Node re-imports a Buffer HMAC key on every createHmac call (~11 µs, measured
// at 8 % of an authenticated GET); a KeyObject made once costs ~1.6 µs.
const pepperKeys = new WeakMap<Buffer, KeyObject>();

export function hashApiKey(pepper: Buffer, key: string): Buffer {
  // An empty HMAC key would silently turn this into a plain, unkeyed hash.
  if (pepper.length === 0) throw new TypeError('API key pepper must not be empty');
  let keyObject = pepperKeys.get(pepper);
  if (!keyObject) {
    keyObject = createSecretKey(pepper);
    pepperKeys.set(pepper, keyObject);
  }
  return createHmac('sha256', keyObject).update(key, 'utf8').digest();
}

/**
 * Constant-time comparison of a presented key against a stored hash.
 * Takes any Uint8Array (Prisma returns `Bytes` columns as Uint8Array). A stored
 * hash of the wrong length is a mismatch, not an error: timingSafeEqual throws
 * on unequal lengths, and the length of a SHA-256 output is no secret.
 */
export function apiKeyHashMatches(pepper: Buffer, key: string, storedHash: Uint8Array): boolean {
  if (!(storedHash instanceof Uint8Array) || storedHash.length !== HMAC_SHA256_LENGTH) return false;
  return timingSafeEqual(hashApiKey(pepper, key), storedHash);
}
