import { contentRange, ifRangeMatches, selectByteRange, unsatisfiedContentRange } from './byte-range';

const validators = { etag: '"abc"', lastModified: 'Tue, 25 Nov 2026 10:00:00 GMT' };
const select = (range: string | undefined, ifRange?: string) => selectByteRange(range, 1000, ifRange, validators);

describe('selectByteRange', () => {
  it('serves everything without a Range', () => {
    expect(select(undefined)).toEqual({ kind: 'full' });
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=500-', 500, 999],
    ['bytes=-100', 900, 999],
    ['bytes=900-5000', 900, 999],
    ['bytes=0-0', 0, 0],
    ['bytes=0-9,5-20', 0, 20],
  ])('serves one range: %s', (field, start, end) => {
    expect(select(field)).toEqual({ kind: 'partial', range: { start, end } });
  });

  it('refuses a range wholly past the end', () => {
    expect(select('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(select('bytes=2000-3000')).toEqual({ kind: 'unsatisfiable' });
    // range-parser (and so Express) treats a reversed range as unsatisfiable too.
    expect(select('bytes=9-0')).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([
    ['several disjoint ranges', 'bytes=0-9,100-109'],
    ['a malformed field', 'bytes=abc'],
    ['another unit', 'items=0-9'],
  ])('ignores %s and serves everything', (_label, field) => {
    expect(select(field)).toEqual({ kind: 'full' });
  });

  it('honours Range only when If-Range matches', () => {
    expect(select('bytes=0-9', '"abc"')).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(select('bytes=0-9', '"old"')).toEqual({ kind: 'full' });
    expect(select('bytes=0-9', validators.lastModified)).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(select('bytes=0-9', 'Mon, 24 Nov 2026 10:00:00 GMT')).toEqual({ kind: 'full' });
  });
});

describe('ifRangeMatches', () => {
  it('never matches a weak tag', () => {
    expect(ifRangeMatches('W/"abc"', validators)).toBe(false);
  });
});

describe('Content-Range', () => {
  it('formats 206 and 416 values', () => {
    expect(contentRange({ start: 0, end: 99 }, 1000)).toBe('bytes 0-99/1000');
    expect(unsatisfiedContentRange(1000)).toBe('bytes */1000');
  });
});
