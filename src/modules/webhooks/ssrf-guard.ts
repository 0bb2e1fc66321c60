// SSRF policy for webhook URLs (API guide: Webhooks): pure classification of URLs and
// IP addresses, no I/O. The resolver (webhook-target-resolver.ts) applies it
// to every address a host resolves to, at creation and before every attempt.
//
// Address classes:
//   public      globally routable unicast: always allowed;
//   internal    loopback, RFC 1918, link-local, CGNAT (RFC 6598), IPv6 ULA and
//               site-local, `localhost`: allowed only with WEBHOOKS_ALLOW_PRIVATE;
//   metadata    cloud instance-metadata services: never (no legitimate receiver
//               lives there, and they hand out credentials);
//   unroutable  unspecified, broadcast, multicast, documentation/benchmark and
//               other special-purpose ranges: never (nothing to deliver to, and
//               0.0.0.0 / :: reach the local host on Linux).
// IPv6 forms that embed an IPv4 address (IPv4-mapped, RFC 6145 translated,
// NAT64 64:ff9b::/96, 6to4) are judged by the IPv4 address they carry, so
// `::ffff:127.0.0.1` is loopback however it is written.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressClass = 'public' | 'internal' | 'metadata' | 'unroutable';

export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  /**
   * Name the settings that would allow a refused http:// or private target
   * (outside production only: there the refusal is the answer, and a hint to
   * weaken it would only help an attacker probing the deployment).
   */
  explainSettings?: boolean;
}

/** The setting hint for a refused address, when WEBHOOKS_ALLOW_PRIVATE is what would allow it. */
export function addressHint(address: string, policy: Pick<TargetPolicy, 'explainSettings'>): string {
  return classifyAddress(address) === 'internal' ? settingHint('private', policy) : '';
}

/** "; for development, WEBHOOKS_ALLOW_… allows …" for a refusal a development setting could lift, or "". */
function settingHint(kind: 'http' | 'private', policy: Pick<TargetPolicy, 'explainSettings'>): string {
  if (!policy.explainSettings) return '';
  return kind === 'http'
    ? '; for development, WEBHOOKS_ALLOW_HTTP=true allows http:// (never in production)'
    : '; for development, WEBHOOKS_ALLOW_PRIVATE=true allows localhost and private, loopback and link-local addresses (never in production)';
}

/**
 * Instance-metadata endpoints: AWS/GCP/Azure IMDS, AWS ECS and EKS pod
 * identity, Azure WireServer (a public address!), Alibaba Cloud, AWS IMDS
 * over IPv6.
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '168.63.129.16',
  '100.100.100.200',
  'fd00:ec2::254',
  'fd00:ec2::23',
]);

const INTERNAL_V4 = new Set(['loopback', 'private', 'linkLocal', 'carrierGradeNat']);
const INTERNAL_V6 = new Set(['loopback', 'linkLocal', 'uniqueLocal', 'deprecatedSiteLocal']);

/** The class of an IP address in any textual form ipaddr.js parses; `unroutable` when it is not an address. */
export function classifyAddress(address: string): AddressClass {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'unroutable';
  }
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
}

/** True only for globally routable unicast addresses that are not metadata services. */
export function isPublicUnicastAddress(address: string): boolean {
  return classifyAddress(address) === 'public';
}

/** Whether delivering to `address` is allowed under `policy`. */
export function isPermittedAddress(address: string, policy: Pick<TargetPolicy, 'allowPrivate'>): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (kind === 'internal' && policy.allowPrivate);
}

function classifyV4(address: ipaddr.IPv4): AddressClass {
  if (METADATA_ADDRESSES.has(address.toString())) return 'metadata';
  const range = address.range();
  if (range === 'unicast') return 'public';
  return INTERNAL_V4.has(range) ? 'internal' : 'unroutable';
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  // toString() is the RFC 5952 compact form, as METADATA_ADDRESSES is written.
  if (METADATA_ADDRESSES.has(address.toString())) return 'metadata';
  const embedded = embeddedIPv4(address);
  if (embedded) return classifyV4(embedded);
  const parts = address.parts;
  // ::/96 other than :: and ::1 is the deprecated IPv4-compatible form (RFC 4291
  // §2.5.5.1), which ipaddr.js calls plain unicast.
  if (parts.slice(0, 6).every((p) => p === 0) && address.range() === 'unicast') return 'unroutable';
  const range = address.range();
  if (range === 'unicast') return 'public';
  return INTERNAL_V6.has(range) ? 'internal' : 'unroutable';
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const fromWords = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT)
      return fromWords(p[6], p[7]);
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64 well-known prefix); 64:ff9b:1::/48 is local-use and has no fixed layout
      return p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 ? fromWords(p[6], p[7]) : new ipaddr.IPv4([10, 0, 0, 0]);
    case '6to4': // 2002:aabb:ccdd::/48
      return fromWords(p[1], p[2]);
    default:
      return undefined;
  }
}

/** RFC 6761 §6.3: `localhost` and every name under it are the loopback host, whatever DNS says. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

export type CheckedUrl =
  | {
      ok: true;
      /** The normalised URL (WHATWG serialisation): stored and requested as is. */
      href: string;
      /** Host name without IPv6 brackets or a trailing dot. */
      hostname: string;
      /** Set when the host is an IP literal (already checked; no DNS needed). */
      literalAddress?: string;
    }
  | { ok: false; reason: string };

export const MAX_URL_LENGTH = 2048;

/**
 * Checks everything about a webhook URL that needs no DNS: syntax, scheme,
 * credentials and, for IP literals and `localhost`, the address class. The
 * WHATWG parser normalises decimal, hex and octal IPv4 spellings
 * (`http://2130706433/`, `http://0x7f.1/`) to dotted quads first, so they are
 * judged as the address they are.
 */
export function checkWebhookUrl(raw: string, policy: TargetPolicy): CheckedUrl {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL, e.g. https://example.com/webhooks' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return { ok: false, reason: policy.allowHttp ? 'must use https:// or http://' : `must use https://${url.protocol === 'http:' ? settingHint('http', policy) : ''}` };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials (user:password@)' };
  if (url.hash) return { ok: false, reason: 'must not contain a fragment (#…)' };
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (!hostname) return { ok: false, reason: 'must name a host' };

  if (isLocalhostName(hostname)) {
    return policy.allowPrivate ? { ok: true, href: url.href, hostname } : { ok: false, reason: `must not point at localhost${settingHint('private', policy)}` };
  }
  if (isIP(hostname)) {
    const refusal = addressRefusal(hostname, policy);
    return refusal
      ? { ok: false, reason: `must not point at ${refusal}${addressHint(hostname, policy)}` }
      : { ok: true, href: url.href, hostname, literalAddress: hostname };
  }
  return { ok: true, href: url.href, hostname };
}

/** What kind of forbidden address `address` is ("a loopback … address (127.0.0.1)"), or undefined when it is permitted. */
export function addressRefusal(address: string, policy: Pick<TargetPolicy, 'allowPrivate'>): string | undefined {
  switch (classifyAddress(address)) {
    case 'public':
      return undefined;
    case 'internal':
      return policy.allowPrivate ? undefined : `a private, loopback or link-local address (${address})`;
    case 'metadata':
      return `a cloud metadata address (${address})`;
    case 'unroutable':
      return `a reserved, multicast or unspecified address (${address})`;
  }
}
