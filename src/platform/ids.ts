import { randomIdBytes } from './random-pool';

/**
 * Opaque, type-prefixed, time-ordered identifiers (API guide: Conventions): `rel_` + a
 * ULID-shaped body (48-bit millisecond time + 80 random bits, Crockford
 * base32). Sorting by id sorts by creation time, which keyset pagination uses.
 * Written here rather than imported because the maintained `ulid` package is
 * ESM-only and this is twenty lines.
 */
export type IdPrefix = 'org' | 'key' | 'rel' | 'trk' | 'ctb' | 'upl' | 'we' | 'evt' | 'msg' | 'att' | 'aud' | 'ptn' | 'idem';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomIdBytes(16);
  let body = '';
  for (let i = 0; i < 16; i++) body += ALPHABET[random[i] & 31];
  return `${prefix}_${time}${body}`;
}

const ID_BODY = '[0-9A-HJKMNP-TV-Z]{26}';
const ID_SHAPE = new RegExp(`^[a-z]{2,4}_${ID_BODY}$`);

/** The whole shape of one kind of id, for validators (`@Matches(idPattern('trk'))`). */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_${ID_BODY}$`);
}

/** True when `value` has the shape of an id with this prefix (cheap pre-check before a lookup). */
export function looksLikeId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_SHAPE.test(value);
}

/** True when `value` has the shape of any id this API issues (the one regex for "is this an id"). */
export function isResourceId(value: string): boolean {
  return ID_SHAPE.test(value);
}
