// Properties of the SSRF policy (API guide: Webhooks), with the production defaults
// (https only, no private targets): an internal, reserved or metadata IPv4
// address is refused however the URL spells it — dotted, decimal, hex, octal,
// shortened, percent-encoded, full-width, or inside IPv4-mapped, SIIT, NAT64
// and 6to4 IPv6 forms — and the verdict on any address never depends on the
// spelling.
import fc from 'fast-check';
import { checkWebhookUrl, classifyAddress, isLocalhostName } from './ssrf-guard';

const RUNS = { numRuns: 300 };
const STRICT = { allowHttp: false, allowPrivate: false };
const LENIENT = { allowHttp: false, allowPrivate: true };

/** IPv4 ranges no webhook may reach with the defaults: [first octets, prefix length]. */
const REFUSED_V4: Array<[number[], number]> = [
  [[0], 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  [[10], 8],
  [[100, 64], 10], // CGNAT (RFC 6598)
  [[127], 8],
  [[169, 254], 16], // link-local, incl. 169.254.169.254 metadata
  [[172, 16], 12],
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // TEST-NET-1
  [[192, 168], 16],
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24],
  [[203, 0, 113], 24],
  [[224], 4], // multicast
  [[240], 4], // reserved, incl. 255.255.255.255
];
const METADATA_V4 = ['169.254.169.254', '169.254.170.2', '168.63.129.16', '100.100.100.200'];

const toInt = (octets: number[]) => octets.reduce((n, o) => n * 256 + o, 0);
const octetsOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

const addressIn = ([first, prefix]: [number[], number]) => {
  const base = toInt([...first, 0, 0, 0, 0].slice(0, 4));
  return fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => octetsOf(base + offset));
};
const refusedV4 = fc.oneof(...REFUSED_V4.map(addressIn));
const anyV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(octetsOf);

const hex4 = (n: number) => n.toString(16);
const FULL_WIDTH_DIGITS = '０１２３４５６７８９';

/** Every host spelling of one IPv4 address that a URL parser maps back to it (or that routes to it through IPv6). */
function spellings(o: number[]): Record<string, string> {
  const n = toInt(o);
  const [a, b, c, d] = o;
  return {
    dotted: `${a}.${b}.${c}.${d}`,
    trailingDot: `${a}.${b}.${c}.${d}.`,
    decimal: String(n),
    hex: `0x${n.toString(16)}`,
    hexUpper: `0X${n.toString(16).toUpperCase()}`,
    octal: `0${n.toString(8)}`,
    dottedOctal: o.map((x) => `0${x.toString(8)}`).join('.'),
    dottedHex: o.map((x) => `0x${x.toString(16)}`).join('.'),
    mixed: `0x${a.toString(16)}.0${b.toString(8)}.${c}.${d}`,
    threePart: `${a}.${b}.${c * 256 + d}`,
    twoPart: `${a}.${n & 0xffffff}`,
    percentEncoded: `${a}.${b}.${c}.${d}`.replace(/\d/g, (digit) => `%3${digit}`),
    fullWidth: `${a}.${b}.${c}.${d}`.replace(/\d/g, (digit) => FULL_WIDTH_DIGITS[Number(digit)]),
    mapped: `[::ffff:${a}.${b}.${c}.${d}]`,
    mappedHex: `[::ffff:${hex4((a << 8) | b)}:${hex4((c << 8) | d)}]`,
    mappedExpanded: `[0:0:0:0:0:FFFF:${hex4((a << 8) | b)}:${hex4((c << 8) | d)}]`,
    siit: `[::ffff:0:${a}.${b}.${c}.${d}]`,
    nat64: `[64:ff9b::${a}.${b}.${c}.${d}]`,
    sixToFour: `[2002:${hex4((a << 8) | b)}:${hex4((c << 8) | d)}::1]`,
  };
}

const verdict = (host: string, policy = STRICT) => checkWebhookUrl(`https://${host}/hooks`, policy).ok;

describe('SSRF guard (properties)', () => {
  it('refuses every internal, reserved or special-purpose IPv4 address in every spelling', () => {
    fc.assert(
      fc.property(refusedV4, (octets) => {
        const accepted = Object.entries(spellings(octets)).filter(([, host]) => verdict(host));
        return accepted.length === 0;
      }),
      RUNS,
    );
  });

  it('refuses the same addresses written as the deprecated IPv4-compatible IPv6 form, whatever they embed', () => {
    fc.assert(
      fc.property(anyV4, ([a, b, c, d]) => !verdict(`[::${a}.${b}.${c}.${d}]`) || `${a}.${b}.${c}.${d}` === '0.0.0.1'),
      RUNS,
    );
  });

  it('decides every IPv4 address the same way whatever the spelling (so no spelling is a bypass)', () => {
    fc.assert(
      fc.property(anyV4, (octets) => {
        const all = spellings(octets);
        const expected = verdict(all.dotted);
        return Object.values(all).every((host) => verdict(host) === expected);
      }),
      RUNS,
    );
  });

  it('refuses cloud metadata addresses in every spelling even when private targets are allowed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...METADATA_V4), fc.constantFrom(STRICT, LENIENT), (address, policy) => {
        return Object.values(spellings(address.split('.').map(Number))).every((host) => !verdict(host, policy));
      }),
      RUNS,
    );
  });

  it('refuses IPv6 loopback, link-local, unique-local, site-local and multicast addresses however they are written', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const v6 = fc.oneof(
      fc.tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), group, group, group), // fc00::/7
      fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), group, group, group), // fe80::/10
      fc.tuple(fc.integer({ min: 0xfec0, max: 0xfeff }), group, group, group), // fec0::/10
      fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), group, group, group), // ff00::/8
    );
    fc.assert(
      fc.property(v6, fc.boolean(), ([g0, g1, g2, g7], upper) => {
        const compressed = `${hex4(g0)}:${hex4(g1)}:${hex4(g2)}::${hex4(g7)}`;
        const expanded = [g0, g1, g2, 0, 0, 0, 0, g7].map((g) => hex4(g).padStart(4, '0')).join(':');
        return [compressed, expanded].every((text) => !verdict(`[${upper ? text.toUpperCase() : text}]`));
      }),
      RUNS,
    );
    for (const loopback of ['[::1]', '[0:0:0:0:0:0:0:1]', '[0000::0001]', '[::]']) expect(verdict(loopback)).toBe(false);
  });

  it('refuses localhost and every name under it, in any case and with a trailing dot', () => {
    const label = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split('')), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(label, { maxLength: 3 }), fc.boolean(), fc.boolean(), (labels, upper, dot) => {
        let host = [...labels.filter((l) => !l.startsWith('-') && !l.endsWith('-')), 'localhost'].join('.');
        if (upper) host = host.toUpperCase();
        if (dot) host += '.';
        return isLocalhostName(host) && !verdict(host) && verdict(host, LENIENT);
      }),
      RUNS,
    );
  });

  it('classifies any string without throwing; text that is not an address is unroutable', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), (text) => {
        const kind = classifyAddress(text);
        return ['public', 'internal', 'metadata', 'unroutable'].includes(kind);
      }),
      RUNS,
    );
  });

  it('never throws on an arbitrary URL and accepts only https:// URLs without credentials or fragments', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withFragments: true, withQueryParameters: true }), fc.string({ unit: 'binary', maxLength: 3000 })), (raw) => {
        const checked = checkWebhookUrl(raw, STRICT);
        if (!checked.ok) return typeof checked.reason === 'string';
        const url = new URL(checked.href);
        return url.protocol === 'https:' && !url.username && !url.password && !url.hash;
      }),
      RUNS,
    );
  });
});
