import { isLanguageTag } from './language-tag';

describe('isLanguageTag', () => {
  // Mostly examples from RFC 5646 Appendix A.
  it.each([
    'en',
    'de',
    'zh-Hant',
    'zh-Hans-CN',
    'sr-Latn-RS',
    'es-419',
    'de-CH-1996',
    'sl-rozaj-biske',
    'en-US-u-ca-gregory',
    'en-US-x-twain',
    'und',
    'qaa',
  ])('accepts the well-formed tag %s', (tag) => {
    expect(isLanguageTag(tag)).toBe(true);
  });

  it('accepts tags in any case (BCP 47 tags are case-insensitive, RFC 5646 §2.1.1)', () => {
    expect(isLanguageTag('en-us')).toBe(true);
    expect(isLanguageTag('EN-US')).toBe(true);
  });

  it.each([
    ['underscore (POSIX locale, not BCP 47)', 'en_US'],
    ['empty subtag', 'en--US'],
    ['trailing hyphen', 'en-'],
    ['digits as language', '123'],
    ['primary subtag too long', 'abcdefghi'],
    ['private use only', 'x-private'],
    ['irregular grandfathered tag', 'i-klingon'],
    ['duplicate variant', 'de-DE-1901-1901'],
    ['empty', ''],
  ])('rejects an ill-formed tag: %s', (_label, tag) => {
    expect(isLanguageTag(tag)).toBe(false);
  });

  it.each([
    ['a word for the language, not a subtag', 'english'],
    ['unregistered language with a private-use script', 'zz-Qaaa'],
    ['unregistered language', 'zz'],
    ['unregistered script', 'en-Abcd'],
    ['unregistered region', 'en-QL'],
    ['unregistered numeric region', 'es-999'],
    ['unregistered variant', 'de-CH-19999'],
  ])('rejects a well-formed tag with a subtag the IANA registry lacks: %s', (_label, tag) => {
    expect(Intl.getCanonicalLocales(tag)).toHaveLength(1); // well-formed: only the registry refuses it
    expect(isLanguageTag(tag)).toBe(false);
  });

  it.each(['qaa-Qaaa-QM', 'qtz-XZ', 'en-Qabx', 'yue-HK', 'EN-us', 'de-1996'])(
    'accepts private-use ranges and registered subtags in any case: %s',
    (tag) => {
      expect(isLanguageTag(tag)).toBe(true);
    },
  );

  it.each([' en', 'en ', '\ten', 'en\n'])('rejects leading or trailing whitespace %p', (tag) => {
    expect(isLanguageTag(tag)).toBe(false);
  });

  it('accepts 35 characters and rejects 36', () => {
    const tag35 = 'en-US-x-abcdefgh-abcdefgh-abcdef-ab';
    expect(tag35).toHaveLength(35);
    expect(isLanguageTag(tag35)).toBe(true);
    const tag36 = 'en-US-x-abcdefgh-abcdefgh-abcdef-abc';
    expect(tag36).toHaveLength(36);
    expect(Intl.getCanonicalLocales(tag36)).toHaveLength(1); // well-formed, only too long
    expect(isLanguageTag(tag36)).toBe(false);
  });

  it('rejects non-string values passed at runtime', () => {
    expect(isLanguageTag(['en'] as unknown as string)).toBe(false);
    expect(isLanguageTag(null as unknown as string)).toBe(false);
  });
});
