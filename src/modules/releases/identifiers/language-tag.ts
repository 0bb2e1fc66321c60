// Release language: a valid BCP 47 tag (RFC 5646 §2.2.9): well-formed, and
// every language, extlang, script, region and variant subtag registered in the
// IANA Language Subtag Registry, so "english" (well-formed: a 7-letter language
// subtag) and "zz-Qaaa" (no language "zz") are refused.
// - Well-formedness is decided by ECMA-402 Intl.getCanonicalLocales (ICU),
//   so we keep no grammar of our own. It follows the Unicode locale identifier
//   profile of BCP 47, which is slightly stricter: irregular grandfathered
//   tags ("i-klingon") and tags made only of private use ("x-foo") are refused.
// - The subtags come from `bcp-47`'s parser, and are looked up in the registry
//   as the `language-subtag-registry` package ships it (updated from IANA).
//   The private-use ranges the registry lists (qaa..qtz, Qaaa..Qabx, QM..QZ,
//   XA..XZ) count as registered, as RFC 5646 §2.2.1 says they are.
//   Extensions and private-use sequences (after a singleton) are not in the
//   registry and are left as they are.
import type * as Bcp47 from 'bcp-47';

// Both packages are ES modules: loaded through require(esm), like file-type.
const { parse } = require('bcp-47') as typeof Bcp47;

// RFC 5646 §4.4.1: implementations must be able to hold tags of at least 35
// characters, which covers every tag without extensions or private use. A bound
// also keeps an unbounded string away from ICU.
const MAX_LENGTH = 35;

type SubtagType = 'language' | 'extlang' | 'script' | 'region' | 'variant';
interface RegistryEntry {
  Type: string;
  Subtag?: string;
}
interface Registered {
  subtags: Set<string>;
  ranges: Array<[string, string]>;
}

let registry: Record<SubtagType, Registered> | undefined;

/** The registry, by subtag type, lowercase (subtags are case-insensitive); read on first use. */
function registered(): Record<SubtagType, Registered> {
  if (registry) return registry;
  const entries = require('language-subtag-registry/data/json/registry.json') as RegistryEntry[];
  const byType = {} as Record<SubtagType, Registered>;
  for (const type of ['language', 'extlang', 'script', 'region', 'variant'] as const) byType[type] = { subtags: new Set(), ranges: [] };
  for (const entry of entries) {
    const target = byType[entry.Type as SubtagType];
    if (!target || !entry.Subtag) continue;
    const subtag = entry.Subtag.toLowerCase();
    const range = subtag.split('..');
    if (range.length === 2) target.ranges.push([range[0], range[1]]);
    else target.subtags.add(subtag);
  }
  return (registry = byType);
}

function isRegistered(type: SubtagType, subtag: string): boolean {
  const known = registered()[type];
  const value = subtag.toLowerCase();
  // Range ends have the subtag's own length and alphabet, so string order is the registry's order.
  return known.subtags.has(value) || known.ranges.some(([from, to]) => value.length === from.length && value >= from && value <= to);
}

function isWellFormed(tag: string): boolean {
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}

export function isLanguageTag(tag: string): boolean {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_LENGTH) return false;
  // ICU rejects surrounding whitespace today; checking it here keeps the rule
  // ours rather than an engine detail.
  if (tag.trim() !== tag) return false;
  if (!isWellFormed(tag)) return false;
  const parts = parse(tag, { normalize: false, forgiving: false });
  if (!parts.language) return false;
  return (
    isRegistered('language', parts.language) &&
    parts.extendedLanguageSubtags.every((subtag) => isRegistered('extlang', subtag)) &&
    (!parts.script || isRegistered('script', parts.script)) &&
    (!parts.region || isRegistered('region', parts.region)) &&
    parts.variants.every((subtag) => isRegistered('variant', subtag))
  );
}
