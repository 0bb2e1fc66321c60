import { isAddressAllowed, isAddressInRanges, isRangeWithin, normaliseCidr, parseCidrList } from './ip-allowlist';

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const v6 = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');

describe('normaliseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.0.0.1', '10.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255', '255.255.255.255/32'],
    ['192.168.1.0/24', '192.168.1.0/24'],
    ['203.0.113.128/25', '203.0.113.128/25'],
  ])('IPv4 %s → %s', (input, canonical) => {
    expect(normaliseCidr(input)).toBe(canonical);
  });

  it.each([
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['::1', '::1/128'],
    ['::', '::/128'],
    ['::/0', '::/0'],
    // RFC 5952 §4.2.3: the first of two equal longest zero runs is compressed.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    // RFC 5952 §4.2.2: a single zero group is not compressed.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128'],
    ['fe80::/10', 'fe80::/10'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0/128'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8/128'],
    // Embedded dotted quad that is not IPv4-mapped stays IPv6 (RFC 6052 well-known prefix).
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221/128'],
  ])('IPv6 %s → %s', (input, canonical) => {
    expect(normaliseCidr(input)).toBe(canonical);
  });

  it.each([
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:10.0.0.1', '10.0.0.1/32'],
    ['::FFFF:10.0.0.1/128', '10.0.0.1/32'],
    ['::ffff:a00:1', '10.0.0.1/32'],
    ['0:0:0:0:0:ffff:c0a8:100/120', '192.168.1.0/24'],
    ['::ffff:0.0.0.0/96', '0.0.0.0/0'],
  ])('folds IPv4-mapped IPv6 %s → %s (RFC 4291 §2.5.5.2)', (input, canonical) => {
    expect(normaliseCidr(input)).toBe(canonical);
  });

  it('is idempotent', () => {
    for (const c of ['10.0.0.1', '2001:DB8::/32', '::ffff:10.0.0.0/104', '::', '0.0.0.0/0']) {
      expect(normaliseCidr(normaliseCidr(c))).toBe(normaliseCidr(c));
    }
  });

  it('throws RangeError for a non-CIDR', () => {
    expect(() => normaliseCidr('nope')).toThrow(RangeError);
    expect(() => normaliseCidr('x'.repeat(100_000))).toThrow(RangeError);
  });
});

const INVALID: Array<[string, string]> = [
  ['host bits set (v4)', '10.0.0.1/8'],
  ['host bits set (v6)', '2001:db8::1/32'],
  ['host bits set (mapped)', '::ffff:10.0.0.1/104'],
  ['mapped with prefix < 96', '::ffff:0:0/95'],
  ['mapped dotted with prefix < 96', '::ffff:10.0.0.0/80'],
  ['prefix too long (v4)', '10.0.0.0/33'],
  ['prefix too long (v6)', '::/129'],
  ['mapped prefix too long', '::ffff:10.0.0.0/129'],
  ['negative prefix', '10.0.0.0/-1'],
  ['huge prefix', '10.0.0.0/99999999999999999999'],
  ['empty prefix', '10.0.0.0/'],
  ['no address', '/8'],
  ['leading-zero prefix', '10.0.0.0/08'],
  ['two prefixes', '10.0.0.0/8/8'],
  ['netmask instead of prefix', '10.0.0.0/255.0.0.0'],
  ['octet > 255', '256.0.0.1'],
  ['three parts', '10.0.0'],
  ['classful short form', '10.1'],
  ['integer form', '167772161'],
  ['hex octet', '0x0a.0.0.1'],
  ['octal-looking octet', '010.0.0.1'],
  ['trailing space', '10.0.0.1 '],
  ['leading space', ' 10.0.0.1'],
  ['newline', '10.0.0.0/8\n'],
  ['empty', ''],
  ['hostname', 'localhost'],
  ['domain', 'example.com'],
  ['nine groups', '1:2:3:4:5:6:7:8:9'],
  ['two ::', '1::2::3'],
  ['triple colon', ':::'],
  ['single colon', ':1'],
  ['five hex digits', '12345::'],
  ['non-hex', '2001:db8::g'],
  ['mapped octet > 255', '::ffff:256.1.1.1'],
  ['mapped leading zero', '::ffff:010.0.0.1'],
  ['IPv4-compatible (deprecated, RFC 4291 §2.5.5.1)', '::1.2.3.4'],
  ['zone in a range', 'fe80::/10%eth0'],
  ['zone on an address', 'fe80::1%eth0'],
  ['brackets', '[::1]'],
  ['with port', '10.0.0.1:443'],
  ['non-ASCII digits', '١٠.0.0.1'],
  ['fullwidth prefix', '10.0.0.0/８'],
];


describe('parseCidrList', () => {
  it('returns canonical ranges for a valid mixed list', () => {
    const result = parseCidrList(['10.0.0.0/8', '2001:DB8::/32', '::ffff:192.168.0.1', '203.0.113.7']);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ranges.map((r) => r.cidr)).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.168.0.1/32', '203.0.113.7/32']);
    expect(result.ranges.map((r) => r.prefixLength)).toEqual([8, 32, 32, 32]);
    expect(result.ranges.map((r) => r.network.kind())).toEqual(['ipv4', 'ipv6', 'ipv4', 'ipv4']);
  });

  it('accepts an empty list', () => {
    expect(parseCidrList([])).toEqual({ ok: true, ranges: [] });
  });

  it.each(INVALID)('rejects %s: %j', (_label, entry) => {
    expect(parseCidrList([entry])).toEqual({ ok: false, invalid: [entry] });
    expect(() => normaliseCidr(entry)).toThrow(RangeError);
  });

  it('rejects a very long entry', () => {
    const long = `10.0.0.0/8${'0'.repeat(10_000)}`;
    expect(parseCidrList([long])).toEqual({ ok: false, invalid: [long] });
  });

  it('names every invalid entry, in order, and no valid one', () => {
    expect(parseCidrList(['junk', '10.0.0.0/8', '10.0.0.0/33', '::1', 'x'])).toEqual({
      ok: false,
      invalid: ['junk', '10.0.0.0/33', 'x'],
    });
  });

  it('reports non-string entries and a non-array without throwing', () => {
    expect(parseCidrList([42, null, '10.0.0.0/8'] as never)).toEqual({ ok: false, invalid: ['42', 'null'] });
    expect(parseCidrList('10.0.0.0/8' as never)).toEqual({ ok: false, invalid: ['10.0.0.0/8'] });
    expect(parseCidrList(undefined as never).ok).toBe(false);
  });
});

describe('isAddressAllowed', () => {
  it('matches IPv4 inside and outside a range, at both edges', () => {
    const list = ['10.0.0.0/8'];
    expect(isAddressAllowed('10.0.0.0', list)).toBe(true);
    expect(isAddressAllowed('10.1.2.3', list)).toBe(true);
    expect(isAddressAllowed('10.255.255.255', list)).toBe(true);
    expect(isAddressAllowed('9.255.255.255', list)).toBe(false);
    expect(isAddressAllowed('11.0.0.0', list)).toBe(false);
  });

  it('treats a bare address as a single host', () => {
    expect(isAddressAllowed('203.0.113.7', ['203.0.113.7'])).toBe(true);
    expect(isAddressAllowed('203.0.113.8', ['203.0.113.7'])).toBe(false);
    expect(isAddressAllowed('2001:db8::1', ['2001:DB8:0::1'])).toBe(true);
    expect(isAddressAllowed('2001:db8::2', ['2001:db8::1'])).toBe(false);
  });

  it('holds at the edges for every IPv4 prefix length 0..32', () => {
    const sample = 0xcb007142; // 203.0.113.66
    for (let bits = 0; bits <= 32; bits++) {
      const size = 2 ** (32 - bits);
      const first = Math.floor(sample / size) * size;
      const last = first + size - 1;
      const list = [`${v4(first)}/${bits}`];
      expect(normaliseCidr(list[0])).toBe(list[0]);
      expect(isAddressAllowed(v4(first), list)).toBe(true);
      expect(isAddressAllowed(v4(last), list)).toBe(true);
      if (first > 0) expect(isAddressAllowed(v4(first - 1), list)).toBe(false);
      if (last < 0xffffffff) expect(isAddressAllowed(v4(last + 1), list)).toBe(false);
      // And the same client seen through a dual-stack socket.
      expect(isAddressAllowed(`::ffff:${v4(last)}`, list)).toBe(true);
      if (first > 0) expect(isAddressAllowed(`::ffff:${v4(first - 1)}`, list)).toBe(false);
    }
  });

  it('holds at the edges for every IPv6 prefix length 0..128', () => {
    const sample = 0x20010db8_85a3_0000_0000_8a2e_0370_7334n;
    const max = (1n << 128n) - 1n;
    for (let bits = 0; bits <= 128; bits++) {
      const size = 1n << BigInt(128 - bits);
      const first = (sample / size) * size;
      const last = first + size - 1n;
      const list = [`${v6(first)}/${bits}`];
      expect(isAddressAllowed(v6(first), list)).toBe(true);
      expect(isAddressAllowed(v6(last), list)).toBe(true);
      if (first > 0n) expect(isAddressAllowed(v6(first - 1n), list)).toBe(false);
      if (last < max) expect(isAddressAllowed(v6(last + 1n), list)).toBe(false);
    }
  });

  it('matches IPv6 in any spelling', () => {
    const list = ['2001:db8::/32'];
    expect(isAddressAllowed('2001:db8::', list)).toBe(true);
    expect(isAddressAllowed('2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', list)).toBe(true);
    expect(isAddressAllowed('2001:0db8:0000:0000:0000:0000:0000:0001', list)).toBe(true);
    expect(isAddressAllowed('2001:db9::', list)).toBe(false);
    expect(isAddressAllowed('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', list)).toBe(false);
  });

  it("treats Express's IPv4-mapped req.ip as the IPv4 address", () => {
    expect(isAddressAllowed('::ffff:10.0.0.1', ['10.0.0.0/8'])).toBe(true);
    expect(isAddressAllowed('::FFFF:10.0.0.1', ['10.0.0.1'])).toBe(true);
    expect(isAddressAllowed('::ffff:a00:1', ['10.0.0.0/8'])).toBe(true);
    expect(isAddressAllowed('0:0:0:0:0:ffff:127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isAddressAllowed('::ffff:11.0.0.1', ['10.0.0.0/8'])).toBe(false);
    // A range written in mapped form matches plain IPv4 clients too.
    expect(isAddressAllowed('10.0.0.1', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(isAddressAllowed('::ffff:10.0.0.1', ['::ffff:10.0.0.0/104'])).toBe(true);
  });

  it('keeps the families apart: an IPv4 client is matched by IPv4 ranges only', () => {
    expect(isAddressAllowed('10.0.0.1', ['::/0'])).toBe(false);
    expect(isAddressAllowed('::ffff:10.0.0.1', ['::/0'])).toBe(false);
    expect(isAddressAllowed('::1', ['0.0.0.0/0'])).toBe(false);
    expect(isAddressAllowed('10.0.0.1', ['0.0.0.0/0'])).toBe(true);
    expect(isAddressAllowed('::1', ['::/0'])).toBe(true);
    // Not IPv4-mapped, so not folded: RFC 6052 NAT64 stays IPv6.
    expect(isAddressAllowed('64:ff9b::10.0.0.1', ['10.0.0.0/8'])).toBe(false);
  });

  it('matches any of several ranges', () => {
    const list = ['192.168.0.0/16', '2001:db8::/32', '203.0.113.7'];
    expect(isAddressAllowed('192.168.44.1', list)).toBe(true);
    expect(isAddressAllowed('2001:db8:1::5', list)).toBe(true);
    expect(isAddressAllowed('203.0.113.7', list)).toBe(true);
    expect(isAddressAllowed('198.51.100.1', list)).toBe(false);
  });

  it('accepts a zoned link-local client address (RFC 4007 §11)', () => {
    expect(isAddressAllowed('fe80::1%eth0', ['fe80::/10'])).toBe(true);
    expect(isAddressAllowed('fe80::1%eth0', ['2001:db8::/32'])).toBe(false);
  });

  it('matches nothing for an empty list (the caller decides what that means)', () => {
    expect(isAddressAllowed('10.0.0.1', [])).toBe(false);
    expect(isAddressAllowed('::1', [])).toBe(false);
  });

  it('skips malformed stored entries without throwing', () => {
    expect(isAddressAllowed('10.0.0.1', ['junk', '10.0.0.1/8', '10.0.0.0/8'])).toBe(true);
    expect(isAddressAllowed('10.0.0.1', ['junk', '10.0.0.1/8'])).toBe(false);
    expect(isAddressAllowed('10.0.0.1', [null, 7] as never)).toBe(false);
    expect(isAddressAllowed('10.0.0.1', 'x' as never)).toBe(false);
  });

  it.each([
    '',
    'garbage',
    '10.0.0.256',
    '10.1',
    '0x0a.0.0.1',
    '010.0.0.1',
    ' 10.0.0.1',
    '10.0.0.1/32',
    '10.0.0.1%eth0',
    '::1.2.3.4',
    '1::2::3',
    '[::1]',
    '10.0.0.1:443',
    '\u0661\u0660.0.0.1',
  ])('is false, never throws, for the malformed address %j', (address) => {
    expect(isAddressAllowed(address, ['0.0.0.0/0', '::/0'])).toBe(false);
  });

  it('is false for a huge address, refused before parsing', () => {
    expect(isAddressAllowed('1'.repeat(1_000_000), ['0.0.0.0/0', '::/0'])).toBe(false);
    expect(isAddressAllowed(`::ffff:10.0.0.1${' '.repeat(100)}`, ['0.0.0.0/0'])).toBe(false);
  });

  it('is false for non-string addresses', () => {
    for (const address of [undefined, null, 42, {}, ['10.0.0.1']]) {
      expect(isAddressAllowed(address as never, ['0.0.0.0/0'])).toBe(false);
    }
  });
});

describe('isAddressInRanges', () => {
  it('matches against ranges parsed once', () => {
    const parsed = parseCidrList(['10.0.0.0/8', '::ffff:172.16.0.0/108']);
    if (!parsed.ok) throw new Error('expected a valid list');
    expect(parsed.ranges.map((r) => r.cidr)).toEqual(['10.0.0.0/8', '172.16.0.0/12']);
    expect(isAddressInRanges('10.9.9.9', parsed.ranges)).toBe(true);
    expect(isAddressInRanges('::ffff:172.31.255.255', parsed.ranges)).toBe(true);
    expect(isAddressInRanges('172.32.0.0', parsed.ranges)).toBe(false);
    expect(isAddressInRanges('nope', parsed.ranges)).toBe(false);
  });
});

describe('isRangeWithin', () => {
  const ranges = (list: string[]) => {
    const parsed = parseCidrList(list);
    if (!parsed.ok) throw new Error('bad test input');
    return parsed.ranges;
  };
  it('accepts narrower or equal ranges of the same family and refuses wider or foreign ones', () => {
    const outer = ranges(['10.0.0.0/8', '2001:db8::/32']);
    expect(isRangeWithin(ranges(['10.1.0.0/16'])[0], outer)).toBe(true);
    expect(isRangeWithin(ranges(['10.0.0.0/8'])[0], outer)).toBe(true);
    expect(isRangeWithin(ranges(['10.1.2.3'])[0], outer)).toBe(true);
    expect(isRangeWithin(ranges(['2001:db8:1::/48'])[0], outer)).toBe(true);
    expect(isRangeWithin(ranges(['0.0.0.0/0'])[0], outer)).toBe(false);
    expect(isRangeWithin(ranges(['11.0.0.0/8'])[0], outer)).toBe(false);
    expect(isRangeWithin(ranges(['2001:db9::/32'])[0], outer)).toBe(false);
    expect(isRangeWithin(ranges(['::ffff:10.0.0.1'])[0], outer)).toBe(true);
    expect(isRangeWithin(ranges(['10.0.0.1'])[0], [])).toBe(false);
  });
});
