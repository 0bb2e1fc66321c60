// Entity tags and If-Match (RFC 9110 §8.8.3, §13.1.1), as plain functions.
//
//   If-Match   = "*" / #entity-tag
//   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE ; etagc = %x21 / %x23-7E / obs-text
//
// If-Match uses the strong comparison (§8.8.3.2): a weak tag never matches,
// so a client holding only a weak validator cannot make a conditional write.

export interface EntityTag {
  weak: boolean;
  opaque: string;
}

export type IfMatchCondition = { kind: 'any' } | { kind: 'tags'; tags: EntityTag[] };

// etagc without obs-text: our tags are ASCII, and a non-ASCII one cannot match.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e]*)"/;
// A header a client could reasonably send is short; bound the work.
const MAX_HEADER_LENGTH = 2048;

export function formatEntityTag(tag: EntityTag): string {
  return `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
}

/**
 * Parses an If-Match field value (several field lines arrive joined by ", "),
 * or returns null when it is not "*" or a list of entity tags.
 */
export function parseIfMatch(value: string): IfMatchCondition | null {
  if (value.length > MAX_HEADER_LENGTH) return null;
  const trimmed = value.trim();
  if (trimmed === '*') return { kind: 'any' };
  const tags: EntityTag[] = [];
  let rest = trimmed;
  while (rest.length > 0) {
    const match = ENTITY_TAG.exec(rest);
    if (!match) return null;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] });
    rest = rest.slice(match[0].length).trimStart();
    if (rest.startsWith(',')) {
      // RFC 9110 §5.6.1: recipients accept empty list elements.
      rest = rest.replace(/^[\s,]+/, '');
    } else if (rest.length > 0) {
      return null;
    }
  }
  return tags.length > 0 ? { kind: 'tags', tags } : null;
}

/** RFC 9110 §13.1.1: true when the current representation's strong tag satisfies the condition. */
export function ifMatchAllows(condition: IfMatchCondition, current: EntityTag): boolean {
  if (condition.kind === 'any') return true;
  if (current.weak) return false;
  return condition.tags.some((tag) => !tag.weak && tag.opaque === current.opaque);
}
