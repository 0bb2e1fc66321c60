// Properties of the API key format (API guide: Authentication): every generated key parses,
// any one-character change is caught by the CRC32 checksum (offline, before
// any database lookup), and parsing never throws whatever a client sends.
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { API_KEY_LENGTH, BASE62_ALPHABET, checksumOf, generateApiKey, KEY_CHECKSUM_LENGTH, parseApiKey } from './key-format';

const RUNS = { numRuns: 300 };

const mode = fc.constantFrom<'live' | 'test'>('live', 'test');
/** Keys come from the CSPRNG, so the arbitrary only picks the mode; shrinking is meaningless for them. */
const key = fc.noShrink(mode.map((m) => generateApiKey(m)));

const base62 = (text: string) => [...text].reduce((acc, ch) => acc * 62 + BASE62_ALPHABET.indexOf(ch), 0);

describe('API key format (properties)', () => {
  it('parses every generated key, with its mode and a lookup prefix that starts the key', () => {
    fc.assert(
      fc.property(mode, (m) => {
        const k = generateApiKey(m);
        const parsed = parseApiKey(k);
        return (
          k.length === API_KEY_LENGTH &&
          new RegExp(`^mpk_${m}_[0-9A-Za-z]{40}$`).test(k) &&
          parsed !== null &&
          parsed.mode === m &&
          k.startsWith(parsed.lookupPrefix) &&
          parsed.lookupPrefix.length === `mpk_${m}_`.length + 6
        );
      }),
      RUNS,
    );
  });

  it('writes the CRC32 (IEEE) of everything before it as 6 base62 digits, most significant first', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (body) => {
        const sum = checksumOf(body);
        return sum.length === KEY_CHECKSUM_LENGTH && /^[0-9A-Za-z]{6}$/.test(sum) && base62(sum) === crc32(body);
      }),
      RUNS,
    );
  });

  it('refuses a key with any single character replaced, at any position', () => {
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(key, fc.nat(), fc.oneof(fc.constantFrom(...BASE62_ALPHABET.split('')), printable, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), (k, at, replacement) => {
        const i = at % k.length;
        fc.pre(replacement !== k[i]);
        return parseApiKey(k.slice(0, i) + replacement + k.slice(i + 1)) === null;
      }),
      RUNS,
    );
  });

  it('refuses a key with a character dropped, inserted, or two neighbours swapped', () => {
    fc.assert(
      fc.property(key, fc.nat(), fc.constantFrom(...BASE62_ALPHABET.split('')), (k, at, extra) => {
        const i = at % k.length;
        const dropped = k.slice(0, i) + k.slice(i + 1);
        const inserted = k.slice(0, i) + extra + k.slice(i);
        const j = Math.min(i, k.length - 2);
        const swapped = k.slice(0, j) + k[j + 1] + k[j] + k.slice(j + 2);
        return parseApiKey(dropped) === null && parseApiKey(inserted) === null && (swapped === k || parseApiKey(swapped) === null);
      }),
      RUNS,
    );
  });

  it('refuses a key sent with surrounding whitespace, in another case, or with a changed prefix', () => {
    fc.assert(
      fc.property(key, fc.constantFrom(' ', '\t', '\n', '\r\n', '\u00a0'), (k, space) => {
        return (
          parseApiKey(space + k) === null &&
          parseApiKey(k + space) === null &&
          parseApiKey(k.toUpperCase()) === null &&
          parseApiKey(k.replace(/^mpk_/, 'MPK_')) === null &&
          parseApiKey(k.replace(/^mpk_(live|test)_/, 'mpk_prod_')) === null
        );
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary input, and accepts only strings whose checksum matches', () => {
    const candidates = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', minLength: API_KEY_LENGTH, maxLength: API_KEY_LENGTH }),
      fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET.split('')), minLength: 40, maxLength: 40 }).map((s) => `mpk_live_${s}`),
      fc.anything(),
    );
    fc.assert(
      fc.property(candidates, (input) => {
        const parsed = parseApiKey(input as string);
        if (parsed === null) return true;
        const s = input as string;
        return checksumOf(s.slice(0, -KEY_CHECKSUM_LENGTH)) === s.slice(-KEY_CHECKSUM_LENGTH);
      }),
      RUNS,
    );
  });
});
