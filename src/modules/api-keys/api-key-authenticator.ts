import { Injectable } from '@nestjs/common';
import type { JsonWebKey } from 'node:crypto';
import type { ApiKey } from '../../generated/prisma/client';
import { AppConfig } from '../../config/app-config';
import { Forbidden, Unauthenticated } from '../../platform/auth/auth-errors';
import type { CredentialAuthenticator } from '../../platform/auth/credential-authenticator';
import type { AuthPrincipal, SigningRequirement } from '../../platform/auth/principal';
import { isScope, Scope } from '../../platform/auth/scopes';
import type { AccessTokenClaims } from '../../platform/auth/token-signer';
import { ApiKeysRepository } from './api-keys.repository';
import { isAddressAllowed } from './ip-allowlist';
import { hashApiKey, parseApiKey } from './key-format';
import { KeyStateCache } from './key-state-cache';
import { SecurityAlerts } from '../../platform/security-alerts/security-alerts';
import { LastUsedTracker } from './last-used-tracker';

/** What makes a stored key unusable right now, or null when it is usable. */
export function keyUnusableReason(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, now = new Date()): 'revoked' | 'expired' | null {
  if (key.revokedAt && key.revokedAt <= now) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return null;
}

/**
 * Turns a presented API key, or a verified token's claims, into a principal.
 * Both paths check the key's current state (revoked, expired, allowed IPs), so
 * revoking a key also stops every token issued from it.
 */
@Injectable()
export class ApiKeyAuthenticator implements CredentialAuthenticator {
  private readonly cache = new KeyStateCache();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ApiKeysRepository,
    private readonly lastUsed: LastUsedTracker,
    private readonly alerts: SecurityAlerts,
  ) {}

  authenticateKey(presented: string, clientIp: string): AuthPrincipal | Promise<AuthPrincipal> {
    // The checksum rejects typos and junk offline, before any hashing or query.
    if (!parseApiKey(presented)) throw new Unauthenticated('The API key is malformed.', 'key_malformed');
    const hash = hashApiKey(this.config.apiKeyPepper, presented);
    const hashHex = hash.toString('hex');
    const cached = this.cache.getByHash(hashHex);
    if (cached) return this.accept(cached, clientIp, 'api_key');
    // The unique index on key_hash makes this an exact-match lookup; the
    // HMAC means the database never sees anything that could be replayed.
    return this.repository.findForAuthentication(new Uint8Array(hash)).then((row) => {
      if (!row) throw new Unauthenticated('The API key is not recognised.', 'key_unknown');
      this.cache.put(hashHex, row);
      return this.accept(row, clientIp, 'api_key');
    });
  }

  async authenticateToken(claims: AccessTokenClaims, clientIp: string): Promise<AuthPrincipal> {
    let row = this.cache.getById(claims.sub);
    if (!row) {
      row = (await this.repository.findForTokenAuthentication(claims.sub)) ?? undefined;
      if (!row) throw new Unauthenticated('The access token is invalid.', 'token_invalid');
      this.cache.put(undefined, row);
    }
    if (row.orgId !== claims.org) throw new Unauthenticated('The access token is invalid.', 'token_invalid');
    const principal = this.accept(row, clientIp, 'token');
    // A token carries at most its key's scopes (narrowed at issue time).
    const granted = claims.scope.split(' ').filter((s) => principal.scopes.includes(s as Scope)) as Scope[];
    return { ...principal, scopes: granted, tokenId: claims.jti };
  }

  /** For key management in this process: forget the cached state at once. */
  evict(keyId: string): void {
    this.cache.evict(keyId);
  }

  /** The principal of a usable key, its use watched by the alert rules; throws for an unusable one. */
  private accept(row: ApiKey, clientIp: string, credential: AuthPrincipal['credential']): AuthPrincipal {
    const principal = this.principalFor(row, clientIp, credential);
    this.watch(row, clientIp);
    return principal;
  }

  /** Security alert rules on each successful use (new address, rotated key near its end); never delays the request. */
  private watch(row: ApiKey, clientIp: string): void {
    void this.alerts.keyUsed({
      orgId: row.orgId,
      keyId: row.id,
      ip: clientIp,
      expiresAt: row.expiresAt,
      isRotated: () => this.repository.hasSuccessor(row.id),
    });
  }

  private principalFor(row: ApiKey, clientIp: string, credential: AuthPrincipal['credential']): AuthPrincipal {
    const subject = { orgId: row.orgId, keyId: row.id, credential };
    const unusable = keyUnusableReason(row);
    if (unusable) {
      const what = credential === 'token' ? 'The API key this token was issued from' : 'The API key';
      throw new Unauthenticated(`${what} has been ${unusable === 'revoked' ? 'revoked' : 'expired'}.`, `key_${unusable}`, subject);
    }
    if (row.allowedIps.length > 0 && !isAddressAllowed(clientIp, row.allowedIps)) {
      throw new Forbidden('This API key may not be used from your address.', { reason: 'ip_not_allowed' }, subject);
    }
    this.lastUsed.record(row.id);
    const signing = signingRequirementOf(row);
    return {
      orgId: row.orgId,
      keyId: row.id,
      credential,
      scopes: row.scopes.filter(isScope),
      ...(signing ? { signing } : {}),
    };
  }
}

/**
 * What the key's request signatures are verified with (API guide: Signed requests), from the
 * row already at hand, so verification costs no extra query. A database
 * CHECK keeps the algorithm and its material together.
 */
export function signingRequirementOf(row: Pick<ApiKey, 'id' | 'signatureAlg' | 'signingSecretSealed' | 'signingPublicKey'>): SigningRequirement | undefined {
  if (row.signatureAlg === null) return undefined;
  if (row.signatureAlg === 'hmac-sha256' && row.signingSecretSealed) return { alg: 'hmac-sha256', sealedSecret: row.signingSecretSealed };
  if (row.signatureAlg === 'ed25519' && row.signingPublicKey) return { alg: 'ed25519', publicKey: row.signingPublicKey as JsonWebKey };
  // Fails closed (500), never open: a key that requires signatures is never let through unsigned.
  throw new Error(`API key ${row.id} requires ${row.signatureAlg} signatures but has no usable key material`);
}
