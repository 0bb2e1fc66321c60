import { isTerritoryCode, WORLDWIDE } from './territory';

describe('isTerritoryCode', () => {
  it.each(['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'NG', 'SS', 'CW'])('accepts the ISO 3166-1 alpha-2 code %s', (code) => {
    expect(isTerritoryCode(code)).toBe(true);
  });

  it('accepts "WW" for worldwide', () => {
    expect(WORLDWIDE).toBe('WW');
    expect(isTerritoryCode('WW')).toBe(true);
  });

  it.each([
    ['lowercase', 'us'],
    ['mixed case', 'Us'],
    ['lowercase worldwide', 'ww'],
  ])('rejects %s codes', (_label, code) => {
    expect(isTerritoryCode(code)).toBe(false);
  });

  it.each([
    ['alpha-3', 'USA'],
    ['numeric', '840'],
    ['numeric, 2 digits', '84'],
  ])('rejects %s codes the library would otherwise accept', (_label, code) => {
    expect(isTerritoryCode(code)).toBe(false);
  });

  it.each([
    ['unassigned', 'QQ'],
    ['UK (exceptionally reserved; ISO code is GB)', 'UK'],
    ['EU (exceptionally reserved, not a country)', 'EU'],
    ['ZZ (user-assigned)', 'ZZ'],
    ['withdrawn (Yugoslavia)', 'YU'],
  ])('rejects two letters that are not a country: %s', (_label, code) => {
    expect(isTerritoryCode(code)).toBe(false);
  });

  it.each(['', 'U', ' US', 'US ', 'U-S', 'US,GB', 'WORLD'])('rejects malformed input %p', (code) => {
    expect(isTerritoryCode(code)).toBe(false);
  });

  it('rejects non-string values passed at runtime', () => {
    expect(isTerritoryCode(840 as unknown as string)).toBe(false);
    expect(isTerritoryCode(null as unknown as string)).toBe(false);
  });
});
