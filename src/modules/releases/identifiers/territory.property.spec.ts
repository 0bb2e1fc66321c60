// Properties of release territories: exactly the ISO 3166-1 alpha-2 codes (as
// i18n-iso-countries lists them) and "WW", in upper case.
import fc from 'fast-check';
import * as countries from 'i18n-iso-countries';
import { isTerritoryCode, WORLDWIDE } from './territory';

const RUNS = { numRuns: 400 };
const ALPHA_2 = Object.keys(countries.getAlpha2Codes());

describe('isTerritoryCode (properties)', () => {
  it('accepts every ISO 3166-1 alpha-2 code and WW, and refuses their lower- and mixed-case and alpha-3 spellings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALPHA_2, WORLDWIDE), (code) => {
        const alpha3 = code === WORLDWIDE ? 'WWW' : countries.alpha2ToAlpha3(code)!;
        return (
          isTerritoryCode(code) &&
          !isTerritoryCode(code.toLowerCase()) &&
          !isTerritoryCode(code[0] + code[1].toLowerCase()) &&
          !isTerritoryCode(alpha3) &&
          !isTerritoryCode(` ${code}`)
        );
      }),
      RUNS,
    );
  });

  it('agrees with the country list on every pair of capital letters', () => {
    const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
    fc.assert(
      fc.property(letter, letter, (a, b) => isTerritoryCode(a + b) === (a + b === WORLDWIDE || ALPHA_2.includes(a + b))),
      RUNS,
    );
  });

  it('never throws, and accepts only two ASCII capitals, on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 3 }), fc.anything()), (input) => {
        return !isTerritoryCode(input as string) || (typeof input === 'string' && /^[A-Z]{2}$/.test(input));
      }),
      RUNS,
    );
  });
});
