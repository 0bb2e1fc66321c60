// What a credential may hand out when it issues a key, by creation or by
// rotation. Both paths go through `resolveIssuedLimits`, so a limit added to
// one cannot be forgotten in the other: the issued key is never wider than
// its issuer in scopes, addresses, lifetime or signing.

import { Forbidden } from '../../platform/auth/auth-errors';
import { missingScopes, type Scope } from '../../platform/auth/scopes';
import { type IpRange, isRangeWithin, parseCidrList } from './ip-allowlist';

/** The limits of the calling credential: its (possibly token-narrowed) scopes and its key's restrictions. */
export interface IssuerLimits {
  scopes: readonly string[];
  /** CIDRs; empty = usable from anywhere. */
  allowedIps: readonly string[];
  expiresAt: Date | null;
  signed: boolean;
}

/**
 * The limits asked for the new key. `'inherit'` (creation with the field
 * omitted) takes the issuer's limit; an explicit empty allowlist or a null
 * expiry means "anywhere" / "never" (rotation copies the old key's limits
 * exactly, so an unrestricted old key asks for an unrestricted new one).
 */
export interface RequestedLimits {
  scopes: readonly string[];
  allowedIps: readonly IpRange[] | 'inherit';
  expiresAt: Date | null | 'inherit';
  signed: boolean;
}

export interface IssuedLimits {
  allowedIps: string[];
  expiresAt: Date | null;
}

export function resolveIssuedLimits(issuer: IssuerLimits, requested: RequestedLimits): IssuedLimits {
  const missing = missingScopes(issuer.scopes as Scope[], requested.scopes as Scope[]);
  if (missing.length > 0) {
    throw new Forbidden(`A credential can only grant scopes it holds; this one lacks: ${missing.join(', ')}.`, { missingScopes: missing });
  }

  const issuerRanges = parsedRanges(issuer.allowedIps);
  const ranges: readonly IpRange[] = requested.allowedIps === 'inherit' ? issuerRanges : requested.allowedIps;
  if (issuerRanges.length > 0) {
    // An explicit empty list is "anywhere", the widest allowlist there is.
    if (ranges.length === 0) {
      throw new Forbidden(`A key can only allow addresses its own allowlist allows; outside it: anywhere.`);
    }
    const outside = ranges.filter((r) => !isRangeWithin(r, issuerRanges));
    if (outside.length > 0) {
      throw new Forbidden(`A key can only allow addresses its own allowlist allows; outside it: ${outside.map((r) => r.cidr).join(', ')}.`);
    }
  }

  let expiresAt = requested.expiresAt === 'inherit' ? issuer.expiresAt : requested.expiresAt;
  if (issuer.expiresAt && (expiresAt === null || expiresAt > issuer.expiresAt)) {
    throw new Forbidden('A key cannot outlive the key that creates it; choose an expiresAt no later than yours.');
  }

  // Like an allowlist, the signing requirement is a limit a key cannot shed by minting another.
  if (issuer.signed && !requested.signed) {
    throw new Forbidden('A key that requires signed requests can only create keys that require them too; set requireSignedRequests.');
  }
  return { allowedIps: ranges.map((r) => r.cidr), expiresAt };
}

function parsedRanges(cidrs: readonly string[]): IpRange[] {
  if (cidrs.length === 0) return [];
  const parsed = parseCidrList([...cidrs]);
  // Stored allowlists were validated when written; an unreadable one must still not widen to "anywhere".
  if (!parsed.ok) throw new Error('An API key has an unreadable stored allowlist');
  return parsed.ranges;
}
