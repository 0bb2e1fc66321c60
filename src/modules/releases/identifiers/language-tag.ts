// Release language: a well-formed BCP 47 tag (RFC 5646). Well-formedness is
// decided by ECMA-402 Intl.getCanonicalLocales, which V8 implements
// with ICU; ICU tracks the IANA subtag registry and the Unicode BCP 47 rules, so
// we do not maintain our own grammar. It follows the Unicode locale identifier
// profile of BCP 47, which is slightly stricter: irregular grandfathered tags
// ("i-klingon") and tags made only of private use ("x-foo") are rejected.

// RFC 5646 §4.4.1: implementations must be able to hold tags of at least 35
// characters, which covers every tag without extensions or private use. A bound
// also keeps an unbounded string away from ICU.
const MAX_LENGTH = 35;

export function isLanguageTag(tag: string): boolean {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_LENGTH) return false;
  // ICU rejects surrounding whitespace today; checking it here keeps the rule
  // ours rather than an engine detail.
  if (tag.trim() !== tag) return false;
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}
