import { normalizeIswc } from './iswc';

describe('normalizeIswc', () => {
  // T-034.524.680-1 is the example worked through in the CISAC ISWC Handbook
  // and Wikipedia ("International Standard Musical Work Code"):
  // 1 + 1·0 + 2·3 + 3·4 + 4·5 + 5·2 + 6·4 + 7·6 + 8·8 + 9·0 = 179; (10 − 9) mod 10 = 1.
  it('accepts the published display-form example', () => {
    expect(normalizeIswc('T-034.524.680-1')).toBe('T-034.524.680-1');
  });

  it('canonicalises the compact form to the display form', () => {
    expect(normalizeIswc('T0345246801')).toBe('T-034.524.680-1');
  });

  it('accepts a lowercase "t" prefix', () => {
    expect(normalizeIswc('t-034.524.680-1')).toBe('T-034.524.680-1');
    expect(normalizeIswc('t0345246801')).toBe('T-034.524.680-1');
  });

  // Constructed codes (not claimed to be registered works), check digits computed by hand:
  it('applies the (10 − sum mod 10) mod 10 wrap-around: sum 10 → check 0', () => {
    // 1 + 9·1 = 10 → 0.
    expect(normalizeIswc('T-000.000.001-0')).toBe('T-000.000.001-0');
  });

  it('weights by position, so the leading "1" for T matters', () => {
    // 1 + 0 = 1 → check 9.
    expect(normalizeIswc('T0000000009')).toBe('T-000.000.000-9');
    // 1 + 1·9+2·9+…+9·9 = 1 + 9·45 = 406 → check 4.
    expect(normalizeIswc('T-999.999.999-4')).toBe('T-999.999.999-4');
  });

  it.each(['T-034.524.680-0', 'T-034.524.680-2', 'T-034.524.680-9', 'T0345246802', 'T-000.000.001-1'])(
    'rejects %s with a wrong check digit',
    (input) => {
      expect(normalizeIswc(input)).toBeNull();
    },
  );

  it('rejects adjacent transpositions the position weights detect', () => {
    expect(normalizeIswc('T-304.524.680-1')).toBeNull();
    expect(normalizeIswc('T-034.542.680-1')).toBeNull();
  });

  it.each([
    ['hyphens without dots', 'T-034524680-1'],
    ['dots without hyphens', 'T034.524.680-1'],
    ['spaces', 'T 034 524 680 1'],
    ['missing prefix', '034.524.680-1'],
    ['missing prefix, compact', '0345246801'],
    ['other prefix letter', 'X-034.524.680-1'],
    ['8 work digits', 'T-034.524.68-1'],
    ['10 work digits', 'T03452468001'],
    ['letter for the check digit', 'T-034.524.680-X'],
    ['surrounding whitespace', ' T-034.524.680-1'],
    ['prefixed label', 'ISWC T-034.524.680-1'],
    ['empty', ''],
  ])('rejects a malformed ISWC: %s', (_label, input) => {
    expect(normalizeIswc(input)).toBeNull();
  });

  it('rejects non-string values passed at runtime', () => {
    expect(normalizeIswc(undefined as unknown as string)).toBeNull();
    expect(normalizeIswc(345246801 as unknown as string)).toBeNull();
  });
});
