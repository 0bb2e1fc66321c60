// Properties of Idempotency-Key parsing (API guide: Idempotency; IETF
// httpapi-idempotency-key-header, RFC 8941 §3.3.3 sf-string): never throws,
// accepts 1–255 printable ASCII characters in the bare and the quoted form
// and yields the same key from both, refuses everything else.
import fc from 'fast-check';
import { parseIdempotencyKey } from './idempotency-key';

const RUNS = { numRuns: 400 };

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** 1–255 printable ASCII characters. Surrounding spaces cannot survive as a bare header value (RFC 9110 §5.5 strips them), so they are left out here and covered below. */
const key = fc.string({ unit: printable, minLength: 1, maxLength: 255 }).filter((k) => k.trim() === k);
/** RFC 8941 §4.1.6 serialisation of a String. */
const sfString = (k: string) => `"${k.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

describe('parseIdempotencyKey (properties)', () => {
  it('accepts every key of 1–255 printable ASCII characters as an sf-string, and returns it unescaped', () => {
    fc.assert(
      fc.property(key, (k) => {
        const parsed = parseIdempotencyKey(sfString(k));
        return parsed !== undefined && parsed.ok && parsed.key === k;
      }),
      RUNS,
    );
  });

  it("accepts the same keys bare (Stripe's form), unless the bare key starts with a quote, and agrees with the quoted form", () => {
    fc.assert(
      fc.property(key, (k) => {
        fc.pre(!k.startsWith('"'));
        const bare = parseIdempotencyKey(k);
        const quoted = parseIdempotencyKey(sfString(k));
        return bare?.ok === true && quoted?.ok === true && bare.key === quoted.key;
      }),
      RUNS,
    );
  });

  it('refuses an empty key, one over 255 characters, and one with any character outside printable ASCII', () => {
    const tooLong = fc.string({ unit: printable, minLength: 256, maxLength: 600 }).filter((k) => !k.startsWith('"'));
    const withBadChar = fc
      .tuple(key, fc.nat(), fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0x80, max: 0xffff })))
      .map(([k, at, code]) => {
        const i = at % (k.length + 1);
        return k.slice(0, i) + String.fromCharCode(code) + k.slice(i);
      });
    fc.assert(
      fc.property(fc.oneof(fc.constant(''), fc.constant('""'), tooLong, tooLong.map(sfString), withBadChar, withBadChar.map(sfString)), (header) => {
        const parsed = parseIdempotencyKey(header);
        return parsed !== undefined && !parsed.ok && typeof parsed.reason === 'string';
      }),
      RUNS,
    );
  });

  it('refuses a malformed sf-string: unterminated, with a stray quote or an escape other than \\" and \\\\', () => {
    fc.assert(
      fc.property(key.filter((k) => !/["\\]/.test(k)), fc.constantFrom('"', '\\n', '\\x', '\\', '\\u0041'), (k, junk) => {
        return parseIdempotencyKey(`"${k}`)?.ok === false && parseIdempotencyKey(`"${k}${junk}"`)?.ok === false;
      }),
      RUNS,
    );
  });

  it('never throws, on any string, any list of strings, or no header', () => {
    const header = fc.oneof(fc.constant(undefined), fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.string(), { maxLength: 3 }));
    fc.assert(
      fc.property(header, (h) => {
        const parsed = parseIdempotencyKey(h);
        if (h === undefined) return parsed === undefined;
        if (Array.isArray(h)) return parsed?.ok === false;
        return parsed !== undefined && (parsed.ok ? /^[\x20-\x7e]{1,255}$/.test(parsed.key) : parsed.reason.length > 0);
      }),
      RUNS,
    );
  });
});
