import { canonicalLanguageTag, contributorFields, newReleaseFields, releaseChanges, releaseDateOrderError, trackChanges } from './release-fields';

describe('releaseChanges', () => {
  it('leaves absent properties out and keeps null as "clear"', () => {
    expect(releaseChanges({})).toEqual({});
    expect(releaseChanges({ label: null, upc: null, releaseDate: null, language: null })).toEqual({
      label: null,
      upc: null,
      releaseDate: null,
      language: null,
    });
  });

  it('turns calendar dates into UTC-midnight Dates for DATE columns', () => {
    expect(releaseChanges({ releaseDate: '2026-03-20', originalReleaseDate: '1959-08-17' })).toEqual({
      releaseDate: new Date('2026-03-20T00:00:00.000Z'),
      originalReleaseDate: new Date('1959-08-17T00:00:00.000Z'),
    });
  });

  it('stores the canonical spelling of a language tag', () => {
    expect(releaseChanges({ language: 'en-us' }).language).toBe('en-US');
    expect(canonicalLanguageTag('ZH-hant-tw')).toBe('zh-Hant-TW');
    expect(canonicalLanguageTag('pt-BR')).toBe('pt-BR');
  });
});

describe('newReleaseFields', () => {
  it('defaults explicit to false and territories to worldwide', () => {
    expect(newReleaseFields({ title: 'T', artists: ['A'] })).toEqual({ title: 'T', artists: ['A'], explicit: false, territories: ['WW'] });
  });

  it('keeps what the client gave', () => {
    expect(newReleaseFields({ title: 'T', artists: ['A'], explicit: true, territories: ['FR'] })).toMatchObject({ explicit: true, territories: ['FR'] });
  });
});

describe('releaseDateOrderError', () => {
  it('accepts an original date on or before the release date, or either missing', () => {
    expect(releaseDateOrderError({ releaseDate: '2020-01-01', originalReleaseDate: '1959-08-17' })).toBeNull();
    expect(releaseDateOrderError({ releaseDate: new Date('2020-01-01'), originalReleaseDate: new Date('2020-01-01') })).toBeNull();
    expect(releaseDateOrderError({ releaseDate: null, originalReleaseDate: '2030-01-01' })).toBeNull();
    expect(releaseDateOrderError({})).toBeNull();
  });

  it('names originalReleaseDate when it is after the release date', () => {
    expect(releaseDateOrderError({ releaseDate: '2020-01-01', originalReleaseDate: '2020-01-02' })).toEqual({
      field: 'originalReleaseDate',
      message: 'originalReleaseDate must not be after releaseDate',
    });
  });
});

describe('trackChanges', () => {
  it('stores ISRC compact and ISWC dotted, whatever spelling was sent', () => {
    expect(trackChanges({ isrc: 'us-rc1-76-07839', iswc: 'T0345246801' })).toEqual({ isrc: 'USRC17607839', iswc: 'T-034.524.680-1' });
  });

  it('keeps null as "clear" and leaves absent properties out', () => {
    expect(trackChanges({ isrc: null, iswc: null })).toEqual({ isrc: null, iswc: null });
    expect(trackChanges({ title: 'So What' })).toEqual({ title: 'So What' });
  });

  it('maps contributors in order, or undefined when absent', () => {
    expect(contributorFields({})).toBeUndefined();
    expect(contributorFields({ contributors: [{ name: 'A', role: 'composer' }, { name: 'B', role: 'artist' }] })).toEqual([
      { name: 'A', role: 'composer' },
      { name: 'B', role: 'artist' },
    ]);
  });
});
