// Properties of ISRC normalisation (ISO 3901): both spellings of a generated
// ISRC normalise to the same 12 characters, normalisation is idempotent, and
// nothing but an ISRC's characters is ever accepted.
import fc from 'fast-check';
import { normalizeIsrc } from './isrc';

const RUNS = { numRuns: 400 };

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const DIGITS = '0123456789'.split('');
const chars = (alphabet: string[], n: number) => fc.array(fc.constantFrom(...alphabet), { minLength: n, maxLength: n }).map((a) => a.join(''));

const isrcParts = fc.tuple(chars(UPPER, 2), chars([...UPPER, ...DIGITS], 3), chars(DIGITS, 2), chars(DIGITS, 5));
const compactOf = (p: string[]) => p.join('');
const hyphenatedOf = (p: string[]) => p.join('-');

/** Characters an attacker or a sloppy client might mix in, including ones whose upper case is ASCII (ß → SS, ſ → S, ı → I, ﬀ → FF). */
const TRAPS = ['ß', 'ſ', 'ı', 'ﬀ', 'ﬁ', 'ﬅ', 'Ａ', '١', '-', ' ', '\u0000', '\u200b', 'é'];

describe('normalizeIsrc (properties)', () => {
  it('normalises the compact, hyphenated and lower-case spellings of an ISRC to the same compact form', () => {
    fc.assert(
      fc.property(isrcParts, (parts) => {
        const compact = compactOf(parts);
        return (
          normalizeIsrc(compact) === compact &&
          normalizeIsrc(hyphenatedOf(parts)) === compact &&
          normalizeIsrc(compact.toLowerCase()) === compact &&
          normalizeIsrc(hyphenatedOf(parts).toLowerCase()) === compact
        );
      }),
      RUNS,
    );
  });

  it('is idempotent: a normalised ISRC normalises to itself, whatever was accepted', () => {
    const candidates = fc.oneof(
      isrcParts.map(compactOf),
      isrcParts.map(hyphenatedOf),
      fc.string({ unit: fc.constantFrom(...UPPER, ...DIGITS, '-', 'a', 'z'), minLength: 10, maxLength: 16 }),
    );
    fc.assert(
      fc.property(candidates, (input) => {
        const once = normalizeIsrc(input);
        return once === null || normalizeIsrc(once) === once;
      }),
      RUNS,
    );
  });

  it('refuses a partly hyphenated ISRC (some hyphens, not all four in place)', () => {
    fc.assert(
      fc.property(isrcParts, fc.subarray([0, 1, 2], { minLength: 1, maxLength: 2 }), (parts, joints) => {
        let out = parts[0];
        for (let i = 1; i < 4; i++) out += (joints.includes(i - 1) ? '-' : '') + parts[i];
        return normalizeIsrc(out) === null;
      }),
      RUNS,
    );
  });

  it('only ever returns 12 characters of [A-Z0-9] in the ISRC layout, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (input) => {
        const out = normalizeIsrc(input as string);
        return out === null || /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(out);
      }),
      RUNS,
    );
  });

  it('accepts only inputs made of ISRC characters (ASCII letters, digits, hyphens): no Unicode case-folding tricks', () => {
    // An ISRC is written in ASCII capitals (ISO 3901). Upper-casing before the
    // shape check lets "ßRC17607839" (11 characters) or "uſrc17607839" in as
    // USRC17607839: a value that is not an ISRC passes validation.
    const mixed = fc.tuple(isrcParts.map(compactOf), fc.nat(), fc.constantFrom(...TRAPS)).map(([code, at, trap]) => {
      const i = at % code.length;
      return code.slice(0, i) + trap + code.slice(i + 1);
    });
    fc.assert(
      fc.property(mixed, (input) => normalizeIsrc(input) === null || /^[A-Za-z0-9-]+$/.test(input)),
      { ...RUNS, examples: [['ßRC17607839'], ['uſrc17607839']] },
    );
  });
});
