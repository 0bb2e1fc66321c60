import { validate } from 'class-validator';
import { IsGtin, IsIsrc, IsIswc, IsLanguageTag, IsTerritoryCode } from './identifier-validators';

class ReleaseInput {
  @IsGtin()
  upc: unknown;

  @IsLanguageTag()
  language: unknown;

  @IsTerritoryCode({ each: true })
  territories: unknown;
}

class TrackInput {
  @IsIsrc()
  isrc: unknown;

  @IsIswc()
  iswc: unknown;
}

class SingleTerritory {
  @IsTerritoryCode({ message: 'pick a territory' })
  territory: unknown;
}

function release(fields: Partial<ReleaseInput>): ReleaseInput {
  return Object.assign(new ReleaseInput(), { upc: '036000291452', language: 'en', territories: ['WW'], ...fields });
}

function track(fields: Partial<TrackInput>): TrackInput {
  return Object.assign(new TrackInput(), { isrc: 'USRC17607839', iswc: 'T-034.524.680-1', ...fields });
}

async function errorsFor(input: object): Promise<Record<string, Record<string, string>>> {
  const errors = await validate(input);
  return Object.fromEntries(errors.map((e) => [e.property, e.constraints ?? {}]));
}

describe('identifier validators', () => {
  it('accept valid values', async () => {
    expect(await validate(release({ upc: '4006381333931', language: 'pt-BR', territories: ['US', 'GB', 'WW'] }))).toEqual([]);
    expect(await validate(track({}))).toEqual([]);
  });

  it('accept both hyphenated and compact ISRC and ISWC spellings', async () => {
    expect(await validate(track({ isrc: 'US-RC1-76-07839', iswc: 'T0345246801' }))).toEqual([]);
    expect(await validate(track({ isrc: 'usrc17607839', iswc: 'T-034.524.680-1' }))).toEqual([]);
  });

  it('IsGtin rejects a wrong check digit with a message naming the format', async () => {
    expect((await errorsFor(release({ upc: '036000291453' }))).upc).toEqual({
      isGtin: 'upc must be a 12-digit UPC-A or 13-digit EAN-13 with a valid GS1 check digit',
    });
  });

  it('IsIsrc rejects a malformed ISRC with a message naming the format', async () => {
    expect((await errorsFor(track({ isrc: 'USRC1-76-07839' }))).isrc).toEqual({
      isIsrc: 'isrc must be an ISRC in the form CC-XXX-YY-NNNNN (hyphens optional)',
    });
  });

  it('IsIswc rejects a wrong check digit with a message naming the format', async () => {
    expect((await errorsFor(track({ iswc: 'T-034.524.680-2' }))).iswc).toEqual({
      isIswc: 'iswc must be an ISWC in the form T-DDD.DDD.DDD-C with a valid check digit',
    });
  });

  it('IsLanguageTag rejects an ill-formed tag with a message naming the format', async () => {
    expect((await errorsFor(release({ language: 'en_US' }))).language).toEqual({
      isLanguageTag: 'language must be a BCP 47 language tag of at most 35 characters whose subtags are in the IANA Language Subtag Registry (e.g. "en" or "pt-BR")',
    });
    expect((await errorsFor(release({ language: 'english' }))).language).toHaveProperty('isLanguageTag');
    expect((await errorsFor(release({ language: 'zz-Qaaa' }))).language).toHaveProperty('isLanguageTag');
    expect(await errorsFor(release({ language: 'pt-BR' }))).not.toHaveProperty('language');
  });

  it('IsTerritoryCode with { each: true } checks every element and names it in the message', async () => {
    expect((await errorsFor(release({ territories: ['US', 'usa', 'WW'] }))).territories).toEqual({
      isTerritoryCode:
        'each value in territories must be an uppercase ISO 3166-1 alpha-2 country code or "WW" (worldwide)',
    });
    expect(await errorsFor(release({ territories: ['USA'] }))).toHaveProperty('territories');
    expect(await errorsFor(release({ territories: ['US', 42] }))).toHaveProperty('territories');
  });

  it('IsTerritoryCode with { each: true } accepts an empty array and a Set', async () => {
    expect(await validate(release({ territories: [] }))).toEqual([]);
    expect(await validate(release({ territories: new Set(['FR', 'DE']) }))).toEqual([]);
  });

  it('IsTerritoryCode takes a custom message', async () => {
    expect((await errorsFor(Object.assign(new SingleTerritory(), { territory: 'XX' }))).territory).toEqual({
      isTerritoryCode: 'pick a territory',
    });
    expect(await validate(Object.assign(new SingleTerritory(), { territory: 'JP' }))).toEqual([]);
  });

  it.each([
    ['a number', 36000291452],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => '036000291452' }],
  ])('reject %s for every identifier (optionality is the DTO’s job)', async (_label, value) => {
    const releaseErrors = await errorsFor(release({ upc: value, language: value }));
    expect(Object.keys(releaseErrors).sort()).toEqual(['language', 'upc']);
    const trackErrors = await errorsFor(track({ isrc: value, iswc: value }));
    expect(Object.keys(trackErrors).sort()).toEqual(['isrc', 'iswc']);
  });
});
