// Per-key IP allowlists (API guide: API keys and rotation `allowedIps`): parsing, canonical form and
// membership. Parsing and matching are ipaddr.js's; this file adds the
// strictness an access-control list needs on top of it.
//
// - Only unambiguous spellings are accepted. ipaddr.js also takes inet_aton
//   forms ("10.1", "0x0a.0.0.1", "010.0.0.1" = 8.0.0.1 in octal) and reads
//   "::1.2.3.4" as IPv4-mapped; an operator typing one of those rarely means
//   what the parser would understand, so they are refused (RFC 4291 §2.2 and
//   §2.5.5.1 deprecate the IPv4-compatible form; RFC 6943 §3.1.1 warns about
//   the IPv4 variants).
// - A bare address is a single host: /32 or /128.
// - Host bits right of the prefix ("10.0.0.1/8") are refused, as PostgreSQL's
//   `cidr` type and Python's strict ip_network do: the author may have meant a
//   single host, and silently widening an allowlist to the whole network is
//   the unsafe reading.
// - IPv4-mapped IPv6 (::ffff:0:0/96, RFC 4291 §2.5.5.2) is folded into IPv4,
//   both in ranges and in addresses: Express's req.ip on a dual-stack socket is
//   "::ffff:10.0.0.1" for an IPv4 client, which must match 10.0.0.0/8.
// - IPv6 is written per RFC 5952 (lowercase, longest zero run compressed).

import * as ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface IpRange {
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  readonly cidr: string;
  readonly network: Address;
  readonly prefixLength: number;
}

// The longest legitimate entry, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
// is 49 characters; anything far longer is refused before any parsing.
const MAX_ENTRY_LENGTH = 64;
const DECIMAL_OCTET = '(?:0|[1-9]\\d{0,2})';
const DOTTED_QUAD = `${DECIMAL_OCTET}(?:\\.${DECIMAL_OCTET}){3}`;
const IPV4_TEXT = new RegExp(`^${DOTTED_QUAD}$`);
// Hex groups and colons, optionally ending in a dotted quad (RFC 4291 §2.2 form 3).
// The structure itself (group count, a single "::") is left to ipaddr.js.
const IPV6_TEXT = new RegExp(`^(?:[0-9A-Fa-f]{0,4}:){2,8}(?:[0-9A-Fa-f]{0,4}|${DOTTED_QUAD})$`);
const IPV4_COMPATIBLE = new RegExp(`^::${DOTTED_QUAD}$`);
// RFC 4007 §11 zone ("fe80::1%eth0"): accepted in a client address, never in a range.
const ZONE = /%[0-9A-Za-z]+$/;
const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;

/** Parses an address written the one unambiguous way, mapped IPv6 folded to IPv4; null otherwise. */
function parseAddress(text: string): Address | null {
  if (IPV4_TEXT.test(text) && ipaddr.IPv4.isValid(text)) return ipaddr.IPv4.parse(text);
  if (!IPV6_TEXT.test(text) || IPV4_COMPATIBLE.test(text) || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

function toText(address: Address): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

function parseRange(entry: unknown): IpRange | null {
  if (typeof entry !== 'string' || entry.length > MAX_ENTRY_LENGTH) return null;
  const slash = entry.indexOf('/');
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
  const written = parseAddress(addressText);
  if (written === null) return null;
  const writtenAsV6 = addressText.includes(':');
  const writtenMax = writtenAsV6 ? 128 : 32;
  let prefixLength = writtenMax;
  if (prefixText !== undefined) {
    if (!PREFIX_LENGTH.test(prefixText)) return null;
    prefixLength = Number(prefixText);
    if (prefixLength > writtenMax) return null;
  }
  if (writtenAsV6 && written.kind() === 'ipv4') {
    // A mapped address with a prefix under 96 always has host bits set (the
    // ffff group lies right of the prefix), so it is no valid network.
    if (prefixLength < 96) return null;
    prefixLength -= 96;
  }
  const network = written.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${written.toString()}/${prefixLength}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${(written as ipaddr.IPv6).toNormalizedString()}/${prefixLength}`);
  if (toText(network) !== toText(written)) return null; // host bits set
  return { cidr: `${toText(network)}/${prefixLength}`, network, prefixLength };
}

/**
 * Validates an allowlist as a whole: every entry parsed, or the list of the
 * entries that are not CIDRs or addresses (in input order, for a 400 that
 * names them all).
 */
export function parseCidrList(list: string[]): { ok: true; ranges: IpRange[] } | { ok: false; invalid: string[] } {
  const ranges: IpRange[] = [];
  const invalid: string[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const range = parseRange(entry);
    if (range === null) invalid.push(String(entry));
    else ranges.push(range);
  }
  if (!Array.isArray(list)) invalid.push(String(list));
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, ranges };
}

/** Canonical text of one CIDR or address, for storage. Throws RangeError when it is neither. */
export function normaliseCidr(c: string): string {
  const range = parseRange(c);
  if (range === null) throw new RangeError(`not an IP address or CIDR range: ${JSON.stringify(String(c).slice(0, MAX_ENTRY_LENGTH))}`);
  return range.cidr;
}

/** Whether `address` lies inside one of `ranges`. False for a malformed address; never throws. */
export function isAddressInRanges(address: string, ranges: readonly IpRange[]): boolean {
  if (typeof address !== 'string' || address.length > MAX_ENTRY_LENGTH) return false;
  const parsed = parseAddress(address.includes(':') ? address.replace(ZONE, '') : address);
  if (parsed === null) return false;
  // ipaddr.js throws when matching across families, hence the kind check.
  return ranges.some((r) => r.network.kind() === parsed.kind() && parsed.match(r.network, r.prefixLength));
}

/**
 * Whether `address` lies inside any of `cidrs`. Malformed entries are skipped
 * (stored lists were validated on the way in) and a malformed address is
 * false. An empty list matches nothing: what "no allowlist" means is the
 * caller's decision.
 */
export function isAddressAllowed(address: string, cidrs: string[]): boolean {
  if (!Array.isArray(cidrs)) return false;
  const ranges = cidrs.map(parseRange).filter((r): r is IpRange => r !== null);
  return isAddressInRanges(address, ranges);
}

/** Whether every address of `inner` lies inside one of `outers` (a key may only narrow its creator's allowlist). */
export function isRangeWithin(inner: IpRange, outers: readonly IpRange[]): boolean {
  return outers.some(
    (outer) =>
      outer.network.kind() === inner.network.kind() &&
      outer.prefixLength <= inner.prefixLength &&
      inner.network.match(outer.network, outer.prefixLength),
  );
}
