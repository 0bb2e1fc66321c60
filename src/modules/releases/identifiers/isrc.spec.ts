import { normalizeIsrc } from './isrc';

describe('normalizeIsrc', () => {
  // USRC17607839 / US-RC1-76-07839 is the example in Wikipedia's
  // "International Standard Recording Code" article.
  it('accepts the published compact example', () => {
    expect(normalizeIsrc('USRC17607839')).toBe('USRC17607839');
  });

  it('removes the four display hyphens', () => {
    expect(normalizeIsrc('US-RC1-76-07839')).toBe('USRC17607839');
    expect(normalizeIsrc('GB-AYE-06-01498')).toBe('GBAYE0601498');
  });

  it.each(['GBAYE0601498', 'FRZ039800212', 'DEA620900015', 'JPB600001234'])('accepts %s unchanged', (isrc) => {
    expect(normalizeIsrc(isrc)).toBe(isrc);
  });

  it('uppercases lowercase and mixed-case input', () => {
    expect(normalizeIsrc('usrc17607839')).toBe('USRC17607839');
    expect(normalizeIsrc('us-rc1-76-07839')).toBe('USRC17607839');
    expect(normalizeIsrc('Gb-aYe-06-01498')).toBe('GBAYE0601498');
  });

  it('accepts prefixes that are not ISO 3166-1 countries (agency-issued or withdrawn)', () => {
    expect(normalizeIsrc('QMFME1212345')).toBe('QMFME1212345');
    expect(normalizeIsrc('QZ-ES5-19-00001')).toBe('QZES51900001');
    expect(normalizeIsrc('YUABC9000001')).toBe('YUABC9000001');
  });

  it('accepts an all-digit or all-letter registrant code', () => {
    expect(normalizeIsrc('US1231500001')).toBe('US1231500001');
    expect(normalizeIsrc('USABC1500001')).toBe('USABC1500001');
  });

  it.each([
    ['missing one hyphen', 'US-RC176-07839'],
    ['only some hyphens', 'USRC1-76-07839'],
    ['hyphen in the wrong place', 'U-SRC1-76-07839'],
    ['hyphens around a compact middle', 'US-RC17607-839'],
    ['doubled hyphen', 'US--RC1-76-07839'],
    ['spaces instead of hyphens', 'US RC1 76 07839'],
    ['en dash', 'US–RC1–76–07839'],
  ])('rejects partial or wrong separators: %s', (_label, input) => {
    expect(normalizeIsrc(input)).toBeNull();
  });

  it.each([
    ['digit in the country code', 'U1RC17607839'],
    ['non-digit year', 'USRC1A607839'],
    ['non-digit designation', 'USRC1760783X'],
    ['punctuation in the registrant', 'USR_17607839'],
    ['non-ASCII letter', 'ÜSRC17607839'],
  ])('rejects a wrong character class: %s', (_label, input) => {
    expect(normalizeIsrc(input)).toBeNull();
  });

  it.each([
    ['11 characters', 'USRC1760783'],
    ['13 characters', 'USRC176078390'],
    ['empty', ''],
    ['surrounding whitespace', ' USRC17607839 '],
    ['prefixed label', 'ISRC USRC17607839'],
  ])('rejects a wrong length or extra text: %s', (_label, input) => {
    expect(normalizeIsrc(input)).toBeNull();
  });

  it('rejects non-string values passed at runtime', () => {
    expect(normalizeIsrc(null as unknown as string)).toBeNull();
    expect(normalizeIsrc(12 as unknown as string)).toBeNull();
  });
});

describe('normalizeIsrc and non-ASCII input', () => {
  it('refuses letters whose upper case is longer or ASCII-looking', () => {
    expect(normalizeIsrc('ßRC17607839')).toBeNull();
    expect(normalizeIsrc('ＵSRC17607839')).toBeNull();
    expect(normalizeIsrc('usrc17607839')).toBe('USRC17607839');
  });
});
