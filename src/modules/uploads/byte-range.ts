// Range requests on upload content (RFC 9110 §14), as plain functions.
// `range-parser` (what Express's req.range uses) reads the Range field; the
// decisions around it are here: one range or the whole file (several ranges
// would need multipart/byteranges, which §14.2 lets a server decline by
// ignoring Range), 416 for a range wholly past the end, and If-Range.
import parseRange from 'range-parser';
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
  const ranges = parseRange(size, rangeField, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  // -2 is a malformed field: §14.2 says a server ignores what it cannot parse.
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'full' };
  return { kind: 'partial', range: { start: ranges[0].start, end: ranges[0].end } };
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
