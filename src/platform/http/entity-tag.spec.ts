import { formatEntityTag, ifMatchAllows, parseIfMatch } from './entity-tag';

const strong = (opaque: string) => ({ weak: false, opaque });

describe('formatEntityTag', () => {
  it('quotes strong tags and prefixes weak ones', () => {
    expect(formatEntityTag(strong('v3'))).toBe('"v3"');
    expect(formatEntityTag({ weak: true, opaque: 'v3' })).toBe('W/"v3"');
  });
});

describe('parseIfMatch', () => {
  it('parses "*"', () => {
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch('  *  ')).toEqual({ kind: 'any' });
  });

  it('parses one strong or weak tag', () => {
    expect(parseIfMatch('"v3"')).toEqual({ kind: 'tags', tags: [strong('v3')] });
    expect(parseIfMatch('W/"v3"')).toEqual({ kind: 'tags', tags: [{ weak: true, opaque: 'v3' }] });
  });

  it('parses a list, including joined field lines and empty elements', () => {
    expect(parseIfMatch('"v1", W/"v2","v3"')).toEqual({
      kind: 'tags',
      tags: [strong('v1'), { weak: true, opaque: 'v2' }, strong('v3')],
    });
    expect(parseIfMatch('"v1", , "v2",')).toEqual({ kind: 'tags', tags: [strong('v1'), strong('v2')] });
  });

  it('accepts an empty opaque tag', () => {
    expect(parseIfMatch('""')).toEqual({ kind: 'tags', tags: [strong('')] });
  });

  it.each([
    ['unquoted', 'v3'],
    ['lowercase weak prefix', 'w/"v3"'],
    ['unterminated', '"v3'],
    ['garbage after a tag', '"v3" x'],
    ['"*" in a list', '"v3", *'],
    ['a quote inside', '"v"3"'],
    ['a space inside', '"v 3"'],
    ['empty', ''],
    ['only commas', ', ,'],
  ])('rejects a malformed value: %s', (_label, value) => {
    expect(parseIfMatch(value)).toBeNull();
  });

  it('rejects an oversized value', () => {
    expect(parseIfMatch(Array(500).fill('"v1"').join(', '))).toBeNull();
  });
});

describe('ifMatchAllows (strong comparison)', () => {
  it('lets "*" match any current representation', () => {
    expect(ifMatchAllows({ kind: 'any' }, strong('v9'))).toBe(true);
  });

  it('matches an equal strong tag anywhere in the list', () => {
    expect(ifMatchAllows(parseIfMatch('"v3"')!, strong('v3'))).toBe(true);
    expect(ifMatchAllows(parseIfMatch('"v1", "v3"')!, strong('v3'))).toBe(true);
  });

  it('does not match a different tag', () => {
    expect(ifMatchAllows(parseIfMatch('"v2"')!, strong('v3'))).toBe(false);
    expect(ifMatchAllows(parseIfMatch('"V3"')!, strong('v3'))).toBe(false);
  });

  it('never matches weak tags, on either side', () => {
    expect(ifMatchAllows(parseIfMatch('W/"v3"')!, strong('v3'))).toBe(false);
    expect(ifMatchAllows(parseIfMatch('"v3"')!, { weak: true, opaque: 'v3' })).toBe(false);
  });
});
