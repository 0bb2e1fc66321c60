import { isValidGtin } from './gs1-code';

describe('isValidGtin', () => {
  // Published codes: UPC-A 036000291452 from Wikipedia's "Universal Product
  // Code" article and the common sample 012345678905; EAN-13 4006381333931 and
  // 5901234123457 from "International Article Number", and the Bookland EAN of
  // ISBN 978-0-306-40615-7 (Wikipedia "ISBN").
  it.each(['036000291452', '012345678905'])('accepts UPC-A %s', (code) => {
    expect(isValidGtin(code)).toBe(true);
  });

  it.each(['4006381333931', '5901234123457', '9780306406157'])('accepts EAN-13 %s', (code) => {
    expect(isValidGtin(code)).toBe(true);
  });

  it('accepts a check digit of 0 (the mod 10 wrap-around)', () => {
    // 5+3·0+1+3·2+3+3·4+5+3·6+7+3·8+9+3·0 = 90 → check digit 0.
    expect(isValidGtin('5012345678900')).toBe(true);
    expect(isValidGtin('000000000000')).toBe(true);
  });

  it.each([
    '036000291453', // UPC-A, last digit off by one
    '036000291450',
    '4006381333932', // EAN-13, last digit off by one
    '5901234123450',
    '9780306406158',
  ])('rejects %s with a wrong check digit', (code) => {
    expect(isValidGtin(code)).toBe(false);
  });

  it('rejects transposed data digits that change the weighted sum', () => {
    expect(isValidGtin('306000291452')).toBe(false);
    expect(isValidGtin('0400638133931')).toBe(false);
  });

  it.each([
    ['11 digits', '03600029145'],
    ['14 digits (GTIN-14 is not a release code)', '00036000291452'],
    ['8 digits (EAN-8)', '96385074'],
    ['empty', ''],
  ])('rejects a wrong length: %s', (_label, code) => {
    expect(isValidGtin(code)).toBe(false);
  });

  it.each([
    ['hyphens', '0-36000-29145-2'],
    ['spaces', '036000 291452'],
    ['surrounding whitespace', ' 036000291452'],
    ['trailing newline', '036000291452\n'],
    ['a letter', '03600029145A'],
    ['a sign', '+36000291452'],
    ['full-width digits', '０３６０００２９１４５２'],
    ['Arabic-Indic digits', '٠٣٦٠٠٠٢٩١٤٥٢'],
  ])('rejects non-digits: %s', (_label, code) => {
    expect(isValidGtin(code)).toBe(false);
  });

  it('rejects non-string values passed at runtime', () => {
    expect(isValidGtin(36000291452 as unknown as string)).toBe(false);
    expect(isValidGtin(null as unknown as string)).toBe(false);
    expect(isValidGtin(undefined as unknown as string)).toBe(false);
  });
});
