// Properties of the release language check (BCP 47 well-formedness via
// Intl.getCanonicalLocales, subtags in the IANA registry, at most 35
// characters, no surrounding whitespace).
import fc from 'fast-check';
import { isLanguageTag } from './language-tag';

const RUNS = { numRuns: 300 };

// Registered subtags (any combination of them is a valid tag, RFC 5646 §2.2.9).
const languages = ['en', 'de', 'pt', 'zh', 'sr', 'fr', 'ja', 'yue', 'haw', 'und', 'qab'];
const scripts = ['Latn', 'Hant', 'Hans', 'Cyrl', 'Arab', 'Qaab'];
const regions = ['US', 'BR', 'CN', 'RS', 'DE', 'GB', '419', 'XB'];
/** language["-" script]["-" region] as RFC 5646 §2.1 writes them. */
const simpleTag = fc
  .tuple(fc.constantFrom(...languages), fc.option(fc.constantFrom(...scripts)), fc.option(fc.constantFrom(...regions)))
  .map(([language, script, region]) => [language, script, region].filter(Boolean).join('-'));

describe('isLanguageTag (properties)', () => {
  it('accepts registered language[-Script][-RR] tags in any letter case', () => {
    fc.assert(
      fc.property(simpleTag, (tag) => isLanguageTag(tag) && isLanguageTag(tag.toLowerCase()) && isLanguageTag(tag.toUpperCase())),
      RUNS,
    );
  });

  it('refuses a valid tag with surrounding whitespace, an empty subtag or padding past 35 characters', () => {
    fc.assert(
      fc.property(simpleTag, fc.constantFrom(' ', '\t', '\n', '\u00a0'), (tag, space) => {
        return !isLanguageTag(space + tag) && !isLanguageTag(tag + space) && !isLanguageTag(`${tag}--x`) && !isLanguageTag(`${tag}-x-${'a'.repeat(36)}`);
      }),
      RUNS,
    );
  });

  it('never throws, and accepts nothing longer than 35 characters or outside ASCII letters, digits and hyphens', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 80 }), fc.anything()), (input) => {
        return !isLanguageTag(input as string) || (typeof input === 'string' && input.length <= 35 && /^[A-Za-z0-9-]+$/.test(input));
      }),
      RUNS,
    );
  });
});
