// Properties of the GS1 mod-10 check (GS1 General Specifications §7.9.1) over
// generated codes, against an oracle written from the spec text rather than
// from gs1-code.ts: weights 3,1,3,1… from the rightmost data digit.
import fc from 'fast-check';
import { isValidGtin } from './gs1-code';

const RUNS = { numRuns: 400 };

function specCheckDigit(data: number[]): number {
  const sum = data
    .slice()
    .reverse()
    .reduce((acc, digit, i) => acc + digit * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10;
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n });
/** A valid UPC-A (11 data digits) or EAN-13 (12 data digits). */
const validGtin = fc.oneof(digits(11), digits(12)).map((data) => [...data, specCheckDigit(data)].join(''));

describe('isValidGtin (properties)', () => {
  it('accepts every generated UPC-A and EAN-13 with its GS1 check digit', () => {
    fc.assert(fc.property(validGtin, (code) => isValidGtin(code)), RUNS);
  });

  it('rejects any single-digit change, at any position (weights 3 and 1 are units mod 10)', () => {
    fc.assert(
      fc.property(validGtin, fc.nat(), fc.integer({ min: 1, max: 9 }), (code, at, delta) => {
        const i = at % code.length;
        const changed = code.slice(0, i) + String((Number(code[i]) + delta) % 10) + code.slice(i + 1);
        return !isValidGtin(changed);
      }),
      RUNS,
    );
  });

  it('rejects a valid code with any non-digit or formatting character inserted anywhere', () => {
    fc.assert(
      fc.property(validGtin, fc.nat(), fc.constantFrom(' ', '-', '.', 'a', '٣', '\u0000', '+', '\n'), (code, at, junk) => {
        const i = at % (code.length + 1);
        return !isValidGtin(code.slice(0, i) + junk + code.slice(i));
      }),
      RUNS,
    );
  });

  it('rejects every length other than 12 and 13 even with a correct mod-10 digit (GTIN-8 and GTIN-14 are not release codes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }).filter((n) => n !== 11 && n !== 12), fc.infiniteStream(fc.integer({ min: 0, max: 9 })), (n, stream) => {
        const data = [...stream.take(n)];
        return !isValidGtin([...data, specCheckDigit(data)].join(''));
      }),
      RUNS,
    );
  });

  it('never throws, and accepts nothing but 12 or 13 ASCII digits, on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (input) => {
        const accepted = isValidGtin(input as string);
        return !accepted || (typeof input === 'string' && /^(\d{12}|\d{13})$/.test(input));
      }),
      RUNS,
    );
  });
});
