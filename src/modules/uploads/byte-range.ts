// Range requests on upload content (RFC 9110 §14), as plain functions.
//
// The Range field is parsed here rather than by `range-parser` (what
// Express's req.range uses), because that package refuses a suffix range
// longer than the file (`bytes=-999999999` → 416), where RFC 9110 §14.1.2
// says "the entire representation is used", and quietly drops a reversed
// range-spec from a list where §14.1.1 makes the whole specifier invalid.
//
// The decisions, each allowed by RFC 9110 §14.2:
// - no Range, another range unit, or a field that does not parse → the whole
//   file (200): a server MUST ignore units it does not understand and MAY
//   ignore a Range it cannot read;
// - an invalid specifier (a range-spec whose last-pos is below its first-pos,
//   e.g. `bytes=10-5`) → 416: §14.2 lets a server ignore or reject it, and a
//   client that asks for that has a bug it should see;
// - no satisfiable range-spec (every first-pos at or past the end, or a
//   suffix of length 0) → 416 with `Content-Range: bytes */<size>` (§15.5.17);
// - the satisfiable range-specs, clamped to the file, that merge into one
//   range → 206 with it; disjoint ranges → the whole file (200), since several
//   would need multipart/byteranges, which §14.2 lets a server decline.
// If-Range (§13.1.5) is checked before any of this.
import type { ByteRange } from './storage/upload-storage';

export type RangeSelection = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

export interface RepresentationValidators {
  /** Strong entity tag, quoted. */
  etag: string;
  /** IMF-fixdate, as sent in Last-Modified. */
  lastModified: string;
}

export function selectByteRange(rangeField: string | undefined, size: number, ifRange: string | undefined, validators: RepresentationValidators): RangeSelection {
  if (rangeField === undefined) return { kind: 'full' };
  // RFC 9110 §13.1.5: when If-Range does not match, the Range is ignored.
  if (ifRange !== undefined && !ifRangeMatches(ifRange, validators)) return { kind: 'full' };
  const parsed = parseByteRanges(rangeField, size);
  switch (parsed.kind) {
    case 'ignored':
      return { kind: 'full' };
    case 'invalid':
    case 'unsatisfiable':
      return { kind: 'unsatisfiable' };
    case 'ranges':
      return parsed.ranges.length === 1 ? { kind: 'partial', range: parsed.ranges[0] } : { kind: 'full' };
  }
}

export type ParsedRanges =
  /** Not a bytes range we can read: serve the whole representation. */
  | { kind: 'ignored' }
  /** A range-spec with last-pos < first-pos (RFC 9110 §14.1.1). */
  | { kind: 'invalid' }
  /** Valid, but no range-spec overlaps the representation (§14.1.1). */
  | { kind: 'unsatisfiable' }
  /** The satisfiable ranges, clamped, sorted and merged where they overlap or touch. */
  | { kind: 'ranges'; ranges: ByteRange[] };

// A range-spec list longer than this is a denial-of-service probe, not a download (§14.2).
const MAX_RANGE_SPECS = 100;
const MAX_FIELD_LENGTH = 4096;
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/**
 * Parses `Range: bytes=…` (RFC 9110 §14.1.1 grammar: `range-unit "=" 1#range-spec`,
 * units compared case-insensitively, list elements separated by OWS "," OWS,
 * empty elements allowed) against a representation of `size` bytes.
 */
export function parseByteRanges(field: string, size: number): ParsedRanges {
  if (field.length > MAX_FIELD_LENGTH) return { kind: 'ignored' };
  const equals = field.indexOf('=');
  if (equals < 0 || field.slice(0, equals).toLowerCase() !== 'bytes') return { kind: 'ignored' };
  const specs = field
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((spec) => spec !== '');
  if (specs.length === 0 || specs.length > MAX_RANGE_SPECS) return { kind: 'ignored' };

  const length = BigInt(size);
  const satisfiable: Array<{ start: bigint; end: bigint }> = [];
  let invalid = false;
  for (const spec of specs) {
    const int = INT_RANGE.exec(spec);
    if (int) {
      const first = BigInt(int[1]);
      const last = int[2] === '' ? undefined : BigInt(int[2]);
      if (last !== undefined && last < first) {
        invalid = true;
        continue;
      }
      // §14.1.2: a last-pos at or past the end means "to the end".
      if (first < length) satisfiable.push({ start: first, end: last === undefined || last >= length ? length - 1n : last });
      continue;
    }
    const suffix = SUFFIX_RANGE.exec(spec);
    if (suffix) {
      const suffixLength = BigInt(suffix[1]);
      // §14.1.2: a suffix longer than the representation selects all of it.
      if (suffixLength > 0n && length > 0n) satisfiable.push({ start: suffixLength >= length ? 0n : length - suffixLength, end: length - 1n });
      continue;
    }
    return { kind: 'ignored' };
  }
  if (invalid) return { kind: 'invalid' };
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };

  satisfiable.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged = [satisfiable[0]];
  for (const range of satisfiable.slice(1)) {
    const last = merged[merged.length - 1];
    if (range.start <= last.end + 1n) last.end = range.end > last.end ? range.end : last.end;
    else merged.push(range);
  }
  return { kind: 'ranges', ranges: merged.map((r) => ({ start: Number(r.start), end: Number(r.end) })) };
}

/** If-Range holds one validator: a strong entity tag (weak ones never match) or an exact date. */
export function ifRangeMatches(ifRange: string, validators: RepresentationValidators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  return value === validators.lastModified;
}

/** Content-Range of a 206 (RFC 9110 §14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** Content-Range of a 416: the current length (RFC 9110 §15.5.17). */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
