import { contentRange, ifRangeMatches, parseByteRanges, selectByteRange, unsatisfiedContentRange } from './byte-range';

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
    // RFC 9110 §14.1.2: a suffix longer than the file selects all of it (range-parser answered 416).
    ['bytes=-999999999', 0, 999],
    ['bytes=-1000', 0, 999],
    ['bytes=-1', 999, 999],
    ['bytes=0-99999999999999999999999', 0, 999],
    ['BYTES=0-9', 0, 9],
    ['bytes=0-9,', 0, 9],
    ['bytes=0-9 , 10-19', 0, 19],
    ['bytes=5000-6000,0-9', 0, 9],
    ['bytes=900-,-50', 900, 999],
  ])('serves one range: %s', (field, start, end) => {
    expect(select(field)).toEqual({ kind: 'partial', range: { start, end } });
  });

  it('refuses a range wholly past the end', () => {
    expect(select('bytes=1000-')).toEqual({ kind: 'unsatisfiable' });
    expect(select('bytes=2000-3000')).toEqual({ kind: 'unsatisfiable' });
    expect(select('bytes=-0')).toEqual({ kind: 'unsatisfiable' });
    expect(select('bytes=99999999999999999999999-')).toEqual({ kind: 'unsatisfiable' });
  });

  it.each(['bytes=10-5', 'bytes=9-0', 'bytes=0-9,10-5', 'bytes=99999999999999999999999-1'])(
    'rejects the invalid specifier %s (last-pos before first-pos, RFC 9110 §14.1.1) with 416',
    (field) => {
      expect(select(field)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it.each([
    ['several disjoint ranges', 'bytes=0-9,100-109'],
    ['a malformed field', 'bytes=abc'],
    ['another unit', 'items=0-9'],
    ['no unit', '0-9'],
    ['space before "="', 'bytes =0-9'],
    ['an empty set', 'bytes='],
    ['only commas', 'bytes=,,'],
    ['a bare dash', 'bytes=-'],
    ['three numbers', 'bytes=1-2-3'],
    ['hex', 'bytes=0x10-20'],
    ['a sign', 'bytes=+1-2'],
    ['a negative first-pos', 'bytes=-5-9'],
    ['one bad spec among good ones', 'bytes=0-9,abc'],
    ['more than 100 range-specs', `bytes=${Array.from({ length: 101 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`],
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

describe('parseByteRanges', () => {
  it('merges overlapping and touching ranges, in order, and keeps disjoint ones apart', () => {
    expect(parseByteRanges('bytes=20-29,0-9,10-14', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 14 }, { start: 20, end: 29 }] });
  });

  it('finds nothing to serve in an empty representation', () => {
    expect(parseByteRanges('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRanges('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('tells an invalid specifier from an unsatisfiable one', () => {
    expect(parseByteRanges('bytes=10-5', 100)).toEqual({ kind: 'invalid' });
    expect(parseByteRanges('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
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
